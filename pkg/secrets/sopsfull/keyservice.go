package sopsfull

import (
	"context"
	"fmt"
	"time"

	"github.com/getsops/sops/v3/keyservice"
	"google.golang.org/grpc"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// keyService recovers data keys as sops's local key service does, except
// that age and PGP keys go through a sopsfile.KeySources: the
// environment's or one tenant's, with the same bounds as the lean build
// (identities loaded once per run, no repository text in
// SOPS_AGE_RECIPIENT, stanzas and gpg runs bounded). Every other key type
// (the network keys the policy left in the file's key groups) goes to
// sops's local key service. Flux's kustomize-controller gives sops
// per-decryption keys the same way.
type keyService struct {
	sources *sopsfile.KeySources
	local   keyservice.KeyServiceClient
}

func newKeyService(k *secrets.TenantKeys) (*keyService, error) {
	s := &keyService{sources: sopsfile.NewEnvKeySources(), local: keyservice.NewLocalClient()}
	if k != nil {
		sources, err := sopsfile.NewTenantKeySources(k.AgeIdentities, k.GnuPGHome)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", k.Tenant, err)
		}
		s.sources = sources
	}
	return s, nil
}

// Decrypt implements keyservice.KeyServiceClient.
func (s *keyService) Decrypt(ctx context.Context, req *keyservice.DecryptRequest, opts ...grpc.CallOption) (*keyservice.DecryptResponse, error) {
	var plaintext []byte
	var err error
	switch k := req.GetKey().GetKeyType().(type) {
	case *keyservice.Key_AgeKey:
		plaintext, err = s.sources.DecryptAge(k.AgeKey.GetRecipient(), string(req.GetCiphertext()))
	case *keyservice.Key_PgpKey:
		// sops's key proto carries no creation date; gpg does not need it.
		plaintext, err = s.sources.DecryptPGP(k.PgpKey.GetFingerprint(), string(req.GetCiphertext()), time.Time{})
	default:
		return s.local.Decrypt(ctx, req, opts...)
	}
	if err != nil {
		return nil, err
	}
	return &keyservice.DecryptResponse{Plaintext: plaintext}, nil
}

// Encrypt implements keyservice.KeyServiceClient; decryption never calls it.
func (s *keyService) Encrypt(ctx context.Context, req *keyservice.EncryptRequest, opts ...grpc.CallOption) (*keyservice.EncryptResponse, error) {
	return s.local.Encrypt(ctx, req, opts...)
}
