package sopsfull

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/pgp"
	"google.golang.org/grpc"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// tenantKeyService recovers data keys as sops's local key service does,
// except that age and PGP keys are opened with one tenant's identities and
// GnuPG home only (sops's local service would load the environment's).
// Every other key type (the network keys the policy left in the file's
// key groups) goes to sops's local key service. This is how Flux's
// kustomize-controller gives sops per-decryption keys.
type tenantKeyService struct {
	ids       age.ParsedIdentities
	gnupgHome string
	local     keyservice.KeyServiceClient
}

// errNoTenantKey: the tenant holds no key of that kind.
var errNoTenantKey = errors.New("the tenant holds no key of this kind")

func newTenantKeyService(k *secrets.TenantKeys) (*tenantKeyService, error) {
	s := &tenantKeyService{gnupgHome: k.GnuPGHome, local: keyservice.NewLocalClient()}
	if strings.TrimSpace(k.AgeIdentities) != "" {
		if err := s.ids.Import(k.AgeIdentities); err != nil {
			// age's parse errors quote the offending line: a private key.
			return nil, fmt.Errorf("tenant %q: the tenant's age key file holds a line that is not an age identity", k.Tenant)
		}
	}
	if k.GnuPGHome != "" {
		// sops ignores a home that fails this check and falls back to the
		// environment's GNUPGHOME: refuse it instead.
		if err := pgp.GnuPGHome(k.GnuPGHome).Validate(); err != nil {
			return nil, fmt.Errorf("tenant %q: the tenant's GnuPG home %s cannot be used (%v)", k.Tenant, k.GnuPGHome, err)
		}
	}
	return s, nil
}

// Decrypt implements keyservice.KeyServiceClient.
func (s *tenantKeyService) Decrypt(ctx context.Context, req *keyservice.DecryptRequest, opts ...grpc.CallOption) (*keyservice.DecryptResponse, error) {
	switch k := req.GetKey().GetKeyType().(type) {
	case *keyservice.Key_AgeKey:
		if len(s.ids) == 0 {
			return nil, errNoTenantKey // an age key with no identity loads the environment's
		}
		mk := &age.MasterKey{Recipient: k.AgeKey.GetRecipient(), EncryptedKey: string(req.GetCiphertext())}
		s.ids.ApplyToMasterKey(mk)
		plaintext, err := mk.Decrypt()
		if err != nil {
			return nil, err
		}
		return &keyservice.DecryptResponse{Plaintext: plaintext}, nil
	case *keyservice.Key_PgpKey:
		if s.gnupgHome == "" {
			return nil, errNoTenantKey // gpg would use the default home
		}
		mk := &pgp.MasterKey{Fingerprint: k.PgpKey.GetFingerprint(), EncryptedKey: string(req.GetCiphertext())}
		pgp.GnuPGHome(s.gnupgHome).ApplyToMasterKey(mk)
		plaintext, err := mk.Decrypt()
		if err != nil {
			return nil, err
		}
		return &keyservice.DecryptResponse{Plaintext: plaintext}, nil
	}
	return s.local.Decrypt(ctx, req, opts...)
}

// Encrypt implements keyservice.KeyServiceClient; decryption never calls it.
func (s *tenantKeyService) Encrypt(ctx context.Context, req *keyservice.EncryptRequest, opts ...grpc.CallOption) (*keyservice.EncryptResponse, error) {
	return s.local.Encrypt(ctx, req, opts...)
}
