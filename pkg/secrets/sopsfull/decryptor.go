package sopsfull

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keyservice"
	sopslogging "github.com/getsops/sops/v3/logging"
	"github.com/getsops/sops/v3/pgp"
	"github.com/sirupsen/logrus"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// Decryptor decrypts with the sops library and the key sources sops finds
// in the environment, exactly as the sops CLI does: age (SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, SSH keys, $XDG_CONFIG_HOME/sops/age/keys.txt),
// PGP (GNUPGHOME), AWS KMS, GCP KMS, Azure Key Vault, HashiCorp Vault and
// HuaweiCloud KMS. Network key sources are used only where its KeyPolicy
// allows them (none by default): the keys it does not allow are removed
// from the file's key groups before sops is asked for the data key, so no
// connection is ever made to them.
//
// Age and PGP keys go through a sopsfile.KeySources, with the lean build's
// bounds (see keyService); WithTenantKeys confines them to one tenant's
// keys instead of the environment's (see secrets.TenantKeys). One
// Decryptor serves one run: the environment's age identities load once.
type Decryptor struct {
	policy secrets.KeyPolicy
	// tenant, when set, holds the only age and PGP keys keys uses.
	tenant *secrets.TenantKeys
	keys   *keyService
}

// NewDecryptor returns a decryptor that uses the environment's key
// sources and allows no network key source (see WithKeyPolicy). sops' own
// logging is limited to errors so that nothing it says about keys mixes
// with the function's reports.
func NewDecryptor() *Decryptor {
	sopslogging.SetLevel(logrus.ErrorLevel)
	keys, _ := newKeyService(nil) // the environment's cannot fail
	return &Decryptor{keys: keys}
}

// WithKeyPolicy returns a copy of the decryptor that uses the network key
// sources p allows. Encryption in the same run (output.encrypt) follows the
// same policy (see secrets.PolicyOf).
func (d *Decryptor) WithKeyPolicy(p secrets.KeyPolicy) *Decryptor {
	c := *d
	c.policy = p
	return &c
}

// WithTenantKeys returns a copy of the decryptor that decrypts age and PGP
// keys with the tenant's keys only (nil: the environment's key sources).
// The error says the keys are unusable, never what they hold.
func (d *Decryptor) WithTenantKeys(k *secrets.TenantKeys) (*Decryptor, error) {
	c := *d
	if k != nil {
		if err := k.Validate(); err != nil {
			return nil, err
		}
	}
	keys, err := newKeyService(k)
	if err != nil {
		return nil, err
	}
	c.tenant, c.keys = k, keys
	return &c, nil
}

// TenantKeys returns the tenant whose keys the decryptor uses (nil: the
// environment's).
func (d *Decryptor) TenantKeys() *secrets.TenantKeys { return d.tenant }

// dataKey recovers a file's data key through sops and the decryptor's key
// service.
func (d *Decryptor) dataKey(m *sops.Metadata) ([]byte, error) {
	return m.GetDataKeyWithKeyServices([]keyservice.KeyServiceClient{d.keys}, nil)
}

// KeyPolicy returns the decryptor's policy.
func (d *Decryptor) KeyPolicy() secrets.KeyPolicy { return d.policy }

// sopsFormat is the format's sops library identifier.
func sopsFormat(f secrets.Format) formats.Format {
	return formats.FormatFromString(string(f))
}

func storeFor(format secrets.Format) common.Store {
	return common.StoreForFormat(sopsFormat(format), config.NewStoresConfig())
}

// Parse implements secrets.Decryptor.
func (*Decryptor) Parse(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	branches, err := storeFor(format).LoadPlainFile(data)
	if err != nil {
		return nil, secrets.NewError(file, secrets.ReasonMalformed, "is not a valid %s document%s", format, lineHint(err))
	}
	return newSOPSDocument(format, branches), nil
}

// Decrypt implements secrets.Decryptor.
func (d *Decryptor) Decrypt(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	tree, err := storeFor(format).LoadEncryptedFile(data)
	if err != nil {
		return nil, loadError(file, data, format, err)
	}
	n := 0
	for _, g := range tree.Metadata.KeyGroups {
		n += len(g)
	}
	var tooMany *sopsfile.Error
	if err := sopsfile.CheckKeyCount(n); errors.As(err, &tooMany) {
		return nil, secrets.NewError(file, secrets.ReasonTooLarge, "%s", tooMany.Detail)
	}
	denied := filterGroups(d.policy, tree.Metadata.KeyGroups)
	dropUnboundedPGP(tree.Metadata.KeyGroups)
	key, err := d.dataKey(&tree.Metadata)
	if err != nil && len(denied) > 0 {
		return nil, secrets.NotAllowedError(file, denied)
	}
	if err != nil {
		return nil, secrets.NoKeyError(file, d.tenant, describeKeys(tree.Metadata))
	}
	cipher := aes.NewCipher()
	mac, err := tree.Decrypt(key, cipher)
	if err != nil {
		return nil, secrets.NewError(file, secrets.ReasonTampered, "a value does not decrypt: the file was modified after encryption")
	}
	stored, err := cipher.Decrypt(tree.Metadata.MessageAuthenticationCode, key, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return nil, secrets.NewError(file, secrets.ReasonTampered, "its MAC does not decrypt: the sops metadata was modified after encryption")
	}
	if stored != mac {
		return nil, secrets.NewError(file, secrets.ReasonTampered, "MAC mismatch: the file was modified after encryption")
	}
	return newSOPSDocument(format, tree.Branches), nil
}

// dropUnboundedPGP removes, in place, the PGP keys whose encrypted data
// key is not what sops writes (sopsfile.CheckPGPMessage): sops would hand
// them to go-crypto or gpg, which decompress without bound.
func dropUnboundedPGP(groups []sops.KeyGroup) {
	for i, g := range groups {
		kept := make(sops.KeyGroup, 0, len(g))
		for _, k := range g {
			if pk, ok := k.(*pgp.MasterKey); ok && sopsfile.CheckPGPMessage(pk.EncryptedKey) != nil {
				continue
			}
			kept = append(kept, k)
		}
		groups[i] = kept
	}
}

// newSOPSDocument converts a sops tree to a Document; the plaintext is
// printed by the sops store, exactly as `sops decrypt` prints it, except
// JSON: sops's JSON printer builds each object and array by string
// concatenation, quadratic in its items (a 500 KB file whose whole was
// wanted allocated 5.8 GB), so package sopsfile's prints it, in one pass.
// Its bytes are sops's (sopsfile's FuzzDecrypt compares them with the
// library's).
func newSOPSDocument(format secrets.Format, branches sops.TreeBranches) *secrets.Document {
	converted := make([]sopsfile.Mapping, len(branches))
	for i, b := range branches {
		converted[i] = fromBranch(b)
	}
	plaintext := func() ([]byte, error) {
		return storeFor(format).EmitPlainFile(branches)
	}
	if format == secrets.FormatJSON {
		plaintext = (&sopsfile.Document{Format: sopsfile.JSON, Branches: converted}).Plaintext
	}
	return secrets.NewDocument(format, converted, plaintext)
}

func fromBranch(b sops.TreeBranch) sopsfile.Mapping {
	out := make(sopsfile.Mapping, 0, len(b))
	for _, item := range b {
		if c, ok := item.Key.(sops.Comment); ok {
			out = append(out, sopsfile.Item{Comment: &sopsfile.Comment{Text: c.Value}})
			continue
		}
		key, _ := item.Key.(string)
		out = append(out, sopsfile.Item{Key: key, Value: fromValue(item.Value)})
	}
	return out
}

func fromValue(v any) any {
	switch x := v.(type) {
	case sops.TreeBranch:
		return fromBranch(x)
	case []any:
		list := make(sopsfile.List, 0, len(x))
		for _, item := range x {
			if c, ok := item.(sops.Comment); ok {
				list = append(list, sopsfile.Comment{Text: c.Value})
				continue
			}
			list = append(list, fromValue(item))
		}
		return list
	default:
		return v
	}
}

// loadError tells a plaintext file from a damaged encrypted one.
func loadError(file string, data []byte, format secrets.Format, err error) error {
	hasValues := bytes.Contains(data, []byte("ENC[AES256_GCM,"))
	hasMetadata := bytes.Contains(data, []byte("sops"))
	if format == secrets.FormatBinary {
		// A binary file is sops JSON: its metadata is the "sops" key, not
		// any mention of the word in a plaintext file.
		hasMetadata = bytes.Contains(data, []byte(`"sops"`))
	}
	switch {
	case hasValues && (errors.Is(err, sops.MetadataNotFound) || !hasMetadata):
		// Cut before its metadata: neither plaintext (which AllowUnencrypted
		// would accept, returning ciphertext as the secret) nor decryptable.
		return secrets.NewError(file, secrets.ReasonMalformed, "has SOPS-encrypted values but no sops metadata (truncated?)")
	case errors.Is(err, sops.MetadataNotFound):
		return secrets.NewError(file, secrets.ReasonPlaintext, "is not SOPS-encrypted")
	case format == secrets.FormatBinary && !hasMetadata:
		return secrets.NewError(file, secrets.ReasonPlaintext, "is not SOPS-encrypted")
	default:
		return secrets.NewError(file, secrets.ReasonMalformed, "is not a valid SOPS-encrypted %s file (truncated or corrupted?)%s", format, lineHint(err))
	}
}

// describeKeys lists the public identifiers of a file's master keys.
func describeKeys(m sops.Metadata) string {
	if ids := describeGroups(m.KeyGroups); ids != "" {
		return ids
	}
	return "none listed"
}

// lineHint extracts a "line N" position from a parser error without echoing
// any of the parsed content.
func lineHint(err error) string {
	msg := err.Error()
	idx := strings.Index(msg, "line ")
	if idx < 0 {
		return ""
	}
	n := 0
	for _, r := range msg[idx+5:] {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (near line %d)", n)
}
