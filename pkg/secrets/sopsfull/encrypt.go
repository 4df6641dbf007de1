package sopsfull

import (
	"fmt"
	"sort"
	"strings"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/azkv"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/gcpkms"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/kms"
	"github.com/getsops/sops/v3/pgp"
	sopsversion "github.com/getsops/sops/v3/version"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// Encryptor encrypts with the sops library (secrets.Encryptor): to age and
// PGP recipients, and to the network key sources the options' KeyPolicy
// allows (AWS, GCP and HuaweiCloud KMS, Azure Key Vault, Vault transit).
type Encryptor struct{}

// NewEncryptor returns the sops library's encryptor.
func NewEncryptor() Encryptor { return Encryptor{} }

// masterKeys builds the sops master keys of a group.
func masterKeys(g secrets.KeyGroup) (sops.KeyGroup, error) {
	var out sops.KeyGroup
	for _, r := range g.Age {
		ks, err := age.MasterKeysFromRecipients(r)
		if err != nil {
			return nil, fmt.Errorf("age recipient %q: %w", r, err)
		}
		for _, k := range ks {
			out = append(out, k)
		}
	}
	for _, fp := range g.PGP {
		out = append(out, pgp.NewMasterKeyFromFingerprint(fp))
	}
	for _, k := range g.AWSKMS {
		var ctx map[string]*string
		if len(k.Context) > 0 {
			ctx = map[string]*string{}
			for name, v := range k.Context {
				v := v
				ctx[name] = &v
			}
		}
		key := kms.NewMasterKeyWithProfile(k.ARN, k.Role, ctx, k.Profile)
		out = append(out, key)
	}
	for _, id := range g.GCPKMS {
		out = append(out, gcpkms.NewMasterKeyFromResourceID(id))
	}
	for _, u := range g.AzureKeyVault {
		k, err := azkv.NewMasterKeyFromURL(u)
		if err != nil {
			return nil, fmt.Errorf("azure key vault URL %q: %w", u, err)
		}
		out = append(out, k)
	}
	for _, u := range g.HCVaultTransit {
		k, err := hcvault.NewMasterKeyFromURI(u)
		if err != nil {
			return nil, fmt.Errorf("vault transit URI %q: %w", u, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// EncryptYAML implements secrets.Encryptor: it encrypts a YAML document
// with sops, the way `sops encrypt` would with the same options, and returns
// the encrypted YAML. The result decrypts with the sops CLI, the sops
// library and Flux. Errors name keys and recipients, never the plaintext.
func (Encryptor) EncryptYAML(plaintext []byte, opts secrets.EncryptOptions) ([]byte, error) {
	if len(opts.Groups) == 0 {
		return nil, fmt.Errorf("no recipients to encrypt to")
	}
	if err := opts.CheckRecipients(); err != nil {
		return nil, err
	}
	store := storeFor(secrets.FormatYAML)
	branches, err := store.LoadPlainFile(plaintext)
	if err != nil {
		return nil, fmt.Errorf("the document to encrypt is not valid YAML%s", lineHint(err))
	}
	var groups []sops.KeyGroup
	for i, g := range opts.Groups {
		if g.IsEmpty() {
			return nil, fmt.Errorf("key group %d has no key", i+1)
		}
		mk, err := masterKeys(g)
		if err != nil {
			return nil, err
		}
		groups = append(groups, mk)
	}
	if err := checkGroups(opts.Policy, "the recipients", groups); err != nil {
		return nil, err
	}
	if opts.ShamirThreshold > len(groups) {
		return nil, fmt.Errorf("shamir threshold %d exceeds the %d key groups", opts.ShamirThreshold, len(groups))
	}
	tree := sops.Tree{
		Branches: branches,
		Metadata: sops.Metadata{
			KeyGroups:         groups,
			ShamirThreshold:   opts.ShamirThreshold,
			EncryptedRegex:    opts.EncryptedRegex,
			MACOnlyEncrypted:  opts.MACOnlyEncrypted,
			UnencryptedSuffix: unencryptedSuffixFor(opts),
			Version:           sopsversion.Version,
		},
	}
	dataKey, errs := tree.GenerateDataKeyWithKeyServices([]keyservice.KeyServiceClient{keyservice.NewLocalClient()})
	if len(errs) > 0 {
		return nil, fmt.Errorf("could not encrypt the data key to %s: %s", describeGroups(groups), joinErrors(errs))
	}
	if err := common.EncryptTree(common.EncryptTreeOpts{Tree: &tree, Cipher: aes.NewCipher(), DataKey: dataKey}); err != nil {
		return nil, fmt.Errorf("encrypting: %s", err)
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		return nil, fmt.Errorf("emitting the encrypted document: %w", err)
	}
	return out, nil
}

// unencryptedSuffixFor mirrors the sops CLI: without any selection rule the
// "_unencrypted" suffix applies.
func unencryptedSuffixFor(opts secrets.EncryptOptions) string {
	if opts.EncryptedRegex != "" {
		return ""
	}
	return sops.DefaultUnencryptedSuffix
}

func describeGroups(groups []sops.KeyGroup) string {
	var ids []string
	for _, g := range groups {
		for _, k := range g {
			ids = append(ids, describeKey(k))
		}
	}
	sort.Strings(ids)
	return strings.Join(ids, ", ")
}

// describeKey prints a key's type and public identifier; a Vault or Key
// Vault URL keeps its scheme, host and port only.
func describeKey(k keys.MasterKey) string {
	if rk, local := remoteKeyOf(k, false); !local && (rk.Kind == secrets.KindVault || rk.Kind == secrets.KindAzureKV) {
		return rk.String()
	}
	return k.TypeToIdentifier() + " " + k.ToString()
}

func joinErrors(errs []error) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}
