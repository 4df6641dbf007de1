//go:build leanproto

// This file replaces pkg/secrets/encrypt.go and rules.go in the lean
// prototype build. Encrypting needs the full sops library: the lean binary
// refuses, and the real wiring hands such requests to the full binary.

package secrets

import (
	"errors"
)

// KeyGroup is one group of master keys.
type KeyGroup struct {
	Age            []string
	PGP            []string
	AWSKMS         []AWSKMSKey
	GCPKMS         []string
	AzureKeyVault  []string
	HCVaultTransit []string
}

// AWSKMSKey is an AWS KMS key with optional role, profile and encryption context.
type AWSKMSKey struct {
	ARN     string
	Role    string
	Profile string
	Context map[string]string
}

// EncryptOptions says how to encrypt a document.
type EncryptOptions struct {
	Groups           []KeyGroup
	ShamirThreshold  int
	EncryptedRegex   string
	MACOnlyEncrypted bool
}

// IsEmpty reports whether the group has no key.
func (g KeyGroup) IsEmpty() bool {
	return len(g.Age)+len(g.PGP)+len(g.AWSKMS)+len(g.GCPKMS)+len(g.AzureKeyVault)+len(g.HCVaultTransit) == 0
}

// ErrNeedsFullBinary is returned where the lean build cannot do the work.
var ErrNeedsFullBinary = errors.New("encrypted output needs the full clusterpair-fn (the lean prototype only decrypts)")

// EncryptYAML is not available in the lean build.
func EncryptYAML([]byte, EncryptOptions) ([]byte, error) { return nil, ErrNeedsFullBinary }
