//go:build !lean

package testsops

import (
	"os"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
)

// Lean reports whether the tests run the lean implementation.
const Lean = false

// Main runs the tests (the lean build's co-process needs this hook).
func Main(m *testing.M) { os.Exit(m.Run()) }

// NewDecryptor returns the full build's decryptor, allowing no network key
// source.
func NewDecryptor() secrets.Decryptor { return sopsfull.NewDecryptor() }

// NewDecryptorWithPolicy returns the full build's decryptor under policy p.
func NewDecryptorWithPolicy(p secrets.KeyPolicy) secrets.Decryptor {
	return sopsfull.NewDecryptor().WithKeyPolicy(p)
}

// NewEncryptor returns the full build's encryptor.
func NewEncryptor() secrets.Encryptor { return sopsfull.NewEncryptor() }

// NewTenantDecryptor returns the build's decryptor confined to a tenant's
// keys (see secrets.TenantKeys).
func NewTenantDecryptor(k *secrets.TenantKeys) (secrets.Decryptor, error) {
	return sopsfull.NewDecryptor().WithTenantKeys(k)
}
