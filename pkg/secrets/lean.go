//go:build lean

package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	sopslogging "github.com/getsops/sops/v3/logging"
	"github.com/sirupsen/logrus"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// SOPSDecryptor decrypts, in the lean build, SOPS files with sops's own age
// and PGP key sources (the same environment variables and files as the sops
// CLI) and package sopsfile's reader, without linking the cloud KMS SDKs.
// A file whose keys only the full library can use fails with an error
// matching ErrNeedsFullSOPS, and the binary hands the run to
// clusterpair-fn-full.
//
// Its KeyPolicy decides before any hand-over: a file whose network keys the
// policy allows none of fails here, with ReasonKeyNotAllowed, and the full
// build is never started for it.
type SOPSDecryptor struct {
	lean   *sopsfile.Decryptor
	policy KeyPolicy
}

// NewSOPSDecryptor returns the lean decryptor. sops's own logging (its age
// and PGP key sources log) is limited to errors, as in the full build.
func NewSOPSDecryptor() *SOPSDecryptor {
	sopslogging.SetLevel(logrus.ErrorLevel)
	return &SOPSDecryptor{lean: sopsfile.NewDecryptor()}
}

// Decrypt implements Decryptor.
func (d *SOPSDecryptor) Decrypt(file string, data []byte, format Format) (*Document, error) {
	doc, err := d.lean.Decrypt(data, sopsfile.Format(format))
	if errors.Is(err, sopsfile.ErrNeedsFullSOPS) {
		if denied := d.deniedAll(data, format); denied != nil {
			return nil, notAllowedError(file, denied)
		}
	}
	if err != nil {
		return nil, leanError(file, data, format, err)
	}
	return NewDocument(format, doc.Branches, doc.Plaintext), nil
}

// Parse implements Decryptor.
func (d *SOPSDecryptor) Parse(file string, data []byte, format Format) (*Document, error) {
	doc, err := sopsfile.Parse(data, sopsfile.Format(format))
	if err != nil {
		return nil, newError(file, ReasonMalformed, "is not a valid %s document%s", format, leanLine(err))
	}
	return NewDocument(format, doc.Branches, doc.Plaintext), nil
}

// deniedAll returns the file's network keys when the policy allows none of
// them, and nil when it allows at least one (the full build, which filters
// the keys again, is then asked).
func (d *SOPSDecryptor) deniedAll(data []byte, format Format) []RemoteKey {
	md, err := sopsfile.ReadMetadata(data, sopsfile.Format(format))
	if err != nil {
		return nil
	}
	var remote []RemoteKey
	for _, g := range md.KeyGroups {
		for _, k := range g.Remote {
			rk := RemoteKey{Kind: k.Kind, Endpoint: k.Endpoint, ID: k.ID, Role: k.Role, Profile: k.Profile}
			if d.policy.Allows(rk) {
				return nil
			}
			remote = append(remote, rk)
		}
	}
	return d.policy.Denied(remote)
}

// leanError gives sopsfile's failures the reasons and wording of the full
// decryptor.
func leanError(file string, data []byte, format Format, err error) error {
	keys := "none listed"
	var e *sopsfile.Error
	if errors.As(err, &e) && len(e.Keys) > 0 {
		keys = strings.Join(redactKeyIDs(e.Keys), ", ")
	}
	// The same classification as the full decryptor: a binary file is sops
	// JSON, so one without a "sops" key is plaintext, unless it holds
	// encrypted values (an encrypted file cut before its metadata).
	noMetadata := errors.Is(err, sopsfile.ErrNotEncrypted) || format == FormatBinary && !bytes.Contains(data, []byte(`"sops"`))
	switch {
	case noMetadata && bytes.Contains(data, []byte("ENC[AES256_GCM,")):
		return newError(file, ReasonMalformed, "has SOPS-encrypted values but no sops metadata (truncated?)")
	case noMetadata:
		return newError(file, ReasonPlaintext, "is not SOPS-encrypted")
	case errors.Is(err, sopsfile.ErrNeedsFullSOPS):
		return newError(file, ReasonNeedsFull, "its keys (%s) need a key source of the full sops library", keys)
	case errors.Is(err, sopsfile.ErrNoKey):
		return newError(file, ReasonNoKey, "none of the file's keys (%s) could decrypt it (%s); make one of their private keys available to sops (for age: SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)", keys, envAgeKeySources())
	case errors.Is(err, sopsfile.ErrTampered):
		return newError(file, ReasonTampered, "the file was modified after encryption (%s)", detailOf(err))
	default:
		return newError(file, ReasonMalformed, "is not a valid SOPS-encrypted %s file (truncated or corrupted?)%s", format, leanLine(err))
	}
}

func leanLine(err error) string {
	var e *sopsfile.Error
	if errors.As(err, &e) && e.Line > 0 {
		return fmt.Sprintf(" (near line %d)", e.Line)
	}
	return ""
}

func detailOf(err error) string {
	var e *sopsfile.Error
	if errors.As(err, &e) && e.Detail != "" {
		return e.Detail
	}
	return "integrity check failed"
}

// EncryptYAML needs the full sops library.
func EncryptYAML(plaintext []byte, opts EncryptOptions) ([]byte, error) {
	if err := opts.checkRecipients(); err != nil {
		return nil, err // no hand-over toward a key source that is not allowed
	}
	return nil, fmt.Errorf("encrypting output: %w", ErrNeedsFullSOPS)
}

// EncryptFile needs the full sops library.
func EncryptFile(plaintext []byte, target string, opts FileEncryptOptions) (*EncryptedFile, error) {
	return nil, fmt.Errorf("encrypting %s: %w", target, ErrNeedsFullSOPS)
}
