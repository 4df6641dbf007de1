//go:build leanproto

// This file replaces pkg/secrets/decryptor.go in the lean prototype build
// (go build -tags leanproto -overlay, see hack/bench/compare): the same
// Decryptor interface and messages, with documents held as sopsfile trees so
// that pkg/secrets no longer imports the sops library.

package secrets

import (
	"bytes"
	"errors"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// Document is the content of a decrypted (or accepted plaintext) file.
type Document struct {
	format Format
	doc    *sopsfile.Document
}

// Decryptor turns the bytes of a file into a Document.
type Decryptor interface {
	Decrypt(file string, data []byte, format Format) (*Document, error)
	Parse(file string, data []byte, format Format) (*Document, error)
}

// LeanDecryptor decrypts with sopsfile: age and PGP keys found as sops finds
// them. Files that need another key source are refused with ReasonNoKey (the
// real wiring hands them to the full binary instead).
type LeanDecryptor struct {
	d *sopsfile.Decryptor
}

// NewLeanDecryptor returns a LeanDecryptor.
func NewLeanDecryptor() *LeanDecryptor { return &LeanDecryptor{d: sopsfile.NewDecryptor()} }

// Parse implements Decryptor.
func (*LeanDecryptor) Parse(file string, data []byte, format Format) (*Document, error) {
	doc, err := sopsfile.Parse(data, sopsfile.Format(format))
	if err != nil {
		return nil, newError(file, ReasonMalformed, "is not a valid %s document%s", format, lineHint(err))
	}
	return &Document{format: format, doc: doc}, nil
}

// Decrypt implements Decryptor.
func (l *LeanDecryptor) Decrypt(file string, data []byte, format Format) (*Document, error) {
	doc, err := l.d.Decrypt(data, sopsfile.Format(format))
	if err == nil {
		return &Document{format: format, doc: doc}, nil
	}
	var e *sopsfile.Error
	if !errors.As(err, &e) {
		return nil, newError(file, ReasonMalformed, "cannot be read")
	}
	switch {
	case errors.Is(err, sopsfile.ErrNotEncrypted), errors.Is(err, sopsfile.ErrMalformed):
		return nil, loadError(file, data, format, err)
	case errors.Is(err, sopsfile.ErrNeedsFullSOPS):
		return nil, newError(file, ReasonNoKey, "none of the file's age or PGP keys (%s) is available, and its other key sources need the full clusterpair-fn (not part of this lean prototype)", describeKeys(e.Keys))
	case errors.Is(err, sopsfile.ErrNoKey):
		return nil, newError(file, ReasonNoKey, "none of the file's keys (%s) could decrypt it; make one of their private keys available to sops (for age: SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)", describeKeys(e.Keys))
	case errors.Is(err, sopsfile.ErrMACUndecryptable):
		return nil, newError(file, ReasonTampered, "its MAC does not decrypt: the sops metadata was modified after encryption")
	case errors.Is(err, sopsfile.ErrMACMismatch):
		return nil, newError(file, ReasonTampered, "MAC mismatch: the file was modified after encryption")
	default:
		return nil, newError(file, ReasonTampered, "a value does not decrypt: the file was modified after encryption")
	}
}

// loadError tells a plaintext file from a damaged encrypted one, as the
// sops-based decryptor does.
func loadError(file string, data []byte, format Format, err error) error {
	hasValues := bytes.Contains(data, []byte("ENC[AES256_GCM,"))
	hasMetadata := bytes.Contains(data, []byte("sops"))
	if format == FormatBinary {
		hasMetadata = bytes.Contains(data, []byte(`"sops"`))
	}
	notFound := errors.Is(err, sopsfile.ErrNotEncrypted)
	switch {
	case hasValues && (notFound || !hasMetadata):
		return newError(file, ReasonMalformed, "has SOPS-encrypted values but no sops metadata (truncated?)")
	case notFound:
		return newError(file, ReasonPlaintext, "is not SOPS-encrypted")
	case format == FormatBinary && !hasMetadata:
		return newError(file, ReasonPlaintext, "is not SOPS-encrypted")
	default:
		return newError(file, ReasonMalformed, "is not a valid SOPS-encrypted %s file (truncated or corrupted?)%s", format, lineHint(err))
	}
}

func describeKeys(keys []string) string {
	if len(keys) == 0 {
		return "none listed"
	}
	return strings.Join(keys, ", ")
}

// lineHint extracts a "line N" position from an error.
func lineHint(err error) string {
	var e *sopsfile.Error
	if errors.As(err, &e) && e.Line > 0 {
		return " (near line " + itoa(e.Line) + ")"
	}
	return ""
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for n >= 10 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	b[i] = byte('0' + n)
	return string(b[i:])
}
