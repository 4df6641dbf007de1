package secrets

import (
	"errors"
	"fmt"
)

// Reason classifies why a secret could not be resolved.
type Reason string

// Reasons for a failed resolution.
const (
	ReasonPath        Reason = "invalid path"
	ReasonNotFound    Reason = "not found"
	ReasonEscapes     Reason = "outside the request directory"
	ReasonNotRegular  Reason = "not a regular file"
	ReasonTooLarge    Reason = "too large"
	ReasonUnreadable  Reason = "unreadable"
	ReasonPlaintext   Reason = "not SOPS-encrypted"
	ReasonMalformed   Reason = "malformed"
	ReasonNoKey       Reason = "no usable decryption key"
	ReasonTampered    Reason = "integrity check failed"
	ReasonKeyNotFound Reason = "key not found"
	ReasonBadValue    Reason = "unusable value"
	// ReasonNeedsFull: the lean build could not have the full one decrypt
	// a file whose keys only the sops library can use.
	ReasonNeedsFull Reason = "needs the full sops library"
	// ReasonKeyNotAllowed: the file's keys (or the recipients) need a
	// network key source that the operator's KeyPolicy does not allow.
	ReasonKeyNotAllowed Reason = "key source not allowed"
)

// ErrNoEncryptor is returned by the callers of an Encryptor (output.encrypt,
// `new`) when none was given to them: the program's wiring chooses one.
var ErrNoEncryptor = errors.New("no SOPS encryptor is configured")

// Error is a resolution failure. Its message names the file and, where
// relevant, the key inside it, and never contains decrypted data.
type Error struct {
	// File is the referenced path as written in the request.
	File string
	// Reason classifies the failure.
	Reason Reason
	// Detail explains the failure and how to fix it.
	Detail string
}

// Error implements error: the reason and the detail, never secret content.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Reason, e.Detail)
}

// ReasonOf returns the Reason of err if it is an *Error, or "".
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// NewError returns an *Error for file whose Detail is format applied to
// args. The SOPS implementations (packages sopsfull and sopslean) build
// their failures with it; the args must never hold decrypted data.
func NewError(file string, reason Reason, format string, args ...any) *Error {
	return &Error{File: file, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// NoKeyError is the ReasonNoKey failure of both SOPS implementations: none
// of the file's keys (keys: their public identifiers, joined) could decrypt
// it. With the environment's key sources (tenant nil) it says which of the
// age key sources sops reads were there; with a tenant's keys it names the
// tenant: none of its keys opens the file, wherever in the repository it
// sits, and no other key was tried.
func NoKeyError(file string, tenant *TenantKeys, keys string) *Error {
	if tenant != nil {
		return NewError(file, ReasonNoKey, "none of tenant %q's keys opens it (the file's keys: %s); a tenant renders only files encrypted to its own keys, and no other tenant's key is ever tried", tenant.Tenant, keys)
	}
	return NewError(file, ReasonNoKey, "none of the file's keys (%s) could decrypt it (%s); make one of their private keys available to sops (for age: SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)", keys, envAgeKeySources())
}
