//go:build lean

package testsops

import (
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopslean"
)

// Lean reports whether the tests run the lean implementation.
const Lean = true

// NewDecryptor returns the lean build's decryptor, allowing no network key
// source.
func NewDecryptor() secrets.Decryptor { return sopslean.NewDecryptor() }

// NewDecryptorWithPolicy returns the lean build's decryptor under policy p.
func NewDecryptorWithPolicy(p secrets.KeyPolicy) secrets.Decryptor {
	return sopslean.NewDecryptor().WithKeyPolicy(p)
}

// NewEncryptor returns the lean build's encryptor, which refuses with
// secrets.ErrNeedsFullSOPS.
func NewEncryptor() secrets.Encryptor { return sopslean.NewEncryptor() }

// NewTenantDecryptor returns the build's decryptor confined to a tenant's
// keys (see secrets.TenantKeys).
func NewTenantDecryptor(k *secrets.TenantKeys) (secrets.Decryptor, error) {
	return sopslean.NewDecryptor().WithTenantKeys(k)
}
