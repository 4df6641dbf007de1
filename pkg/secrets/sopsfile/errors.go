package sopsfile

import (
	"errors"
	"fmt"
	"strings"
)

// The kinds of failure. Every error this package returns is an *Error whose
// Unwrap gives one of them, so callers classify with errors.Is.
var (
	// ErrNotEncrypted: the data has no sops metadata. It may be a plaintext
	// file (see Parse), or an encrypted file cut before its metadata; the
	// caller tells them apart if it needs to.
	ErrNotEncrypted = errors.New("no sops metadata")
	// ErrMalformed: the data is not a well-formed SOPS file of the format.
	ErrMalformed = errors.New("malformed SOPS file")
	// ErrNoKey: none of the file's age or PGP keys is available, and no
	// other key source could help.
	ErrNoKey = errors.New("no usable decryption key")
	// ErrNeedsFullSOPS: the data key cannot be recovered with age and PGP
	// alone, but the file also lists key sources this package does not
	// implement (AWS/GCP/HuaweiCloud KMS, Azure Key Vault, HashiCorp Vault).
	// The caller should hand the file to the full sops library.
	ErrNeedsFullSOPS = errors.New("needs a key source of the full sops library")
	// ErrTampered: a value or the MAC does not decrypt, or the MAC does not
	// match: the file was modified after encryption (or a key was swapped).
	ErrTampered = errors.New("integrity check failed")
	// ErrTooMany: the metadata lists more master keys than a file is read
	// with (MaxMasterKeys).
	ErrTooMany = errors.New("too many master keys")
)

// Finer kinds of ErrTampered, for messages; errors.Is matches an *Error
// against both its Kind and its Sub.
var (
	// ErrValueUndecryptable: a value does not decrypt under its key path
	// (changed, moved or renamed), or is not the encrypted value the rules
	// require.
	ErrValueUndecryptable = errors.New("a value does not decrypt")
	// ErrMACUndecryptable: the stored MAC does not decrypt (the mac or
	// lastmodified entry was changed).
	ErrMACUndecryptable = errors.New("the MAC does not decrypt")
	// ErrMACMismatch: every value decrypts but the MAC differs (values
	// were swapped, removed, added, or plaintext covered by the MAC changed).
	ErrMACMismatch = errors.New("MAC mismatch")
)

// Error is a failure to read or decrypt a SOPS file. Its message is built
// from positions, key paths (which SOPS keeps in cleartext), public key
// identifiers and fixed text; never from decrypted data, and never from the
// parsers' own messages, which quote the input.
type Error struct {
	// Kind is one of the Err* sentinels.
	Kind error
	// Sub refines ErrTampered (ErrValueUndecryptable, ErrMACUndecryptable,
	// ErrMACMismatch); nil otherwise.
	Sub error
	// Detail says what is wrong, without secret content.
	Detail string
	// Line is the 1-based line of a parse error, 0 if unknown.
	Line int
	// Keys lists the file's master keys ("age age1...", "kms arn:...") when
	// the metadata could be read.
	Keys []string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " (near line %d)", e.Line)
	}
	return b.String()
}

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

// Is matches the refinement too.
func (e *Error) Is(target error) bool { return e.Sub != nil && target == e.Sub }

func errorf(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// lineOf extracts "line N" from a parser error without keeping anything
// else of its message (which may quote the input).
func lineOf(err error) int {
	if err == nil {
		return 0
	}
	msg := err.Error()
	idx := strings.Index(msg, "line ")
	if idx < 0 {
		return 0
	}
	n := 0
	for _, r := range msg[idx+5:] {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
		if n > 1<<30 {
			return 0
		}
	}
	return n
}

// malformed builds an ErrMalformed error that keeps only the line of a
// parser error.
func malformed(detail string, parseErr error) *Error {
	return &Error{Kind: ErrMalformed, Detail: detail, Line: lineOf(parseErr)}
}
