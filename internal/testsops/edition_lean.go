//go:build lean

package testsops

import (
	"os"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopslean"
)

// Lean reports whether the tests run the lean implementation.
const Lean = true

// base is a lean decryptor whose co-process is the test binary itself (see
// Main). Each has its own, started on its first hand-over with the
// environment of that moment, as a run's is.
func base() *sopslean.Decryptor {
	return sopslean.NewDecryptor().WithFullCommand(os.Args[0], sopslean.ServeCommand)
}

// Main runs the tests, or, as the lean decryptor's co-process, serves it
// with package sopsfull (sopslean.Serve). A test package whose lean tests
// hand work over calls it from TestMain.
func Main(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sopslean.ServeCommand {
		full := sopslean.Full{Encryptor: sopsfull.NewEncryptor(), NewDecryptor: func(p secrets.KeyPolicy, t *secrets.TenantKeys) (secrets.Decryptor, error) {
			return sopsfull.NewDecryptor().WithKeyPolicy(p).WithTenantKeys(t)
		}}
		if err := sopslean.Serve(os.Stdin, os.Stdout, full); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// NewDecryptor returns the lean build's decryptor, allowing no network key
// source.
func NewDecryptor() secrets.Decryptor { return base() }

// NewDecryptorWithPolicy returns the lean build's decryptor under policy p.
func NewDecryptorWithPolicy(p secrets.KeyPolicy) secrets.Decryptor {
	return base().WithKeyPolicy(p)
}

// NewEncryptor returns the lean build's encryptor (the co-process's).
func NewEncryptor() secrets.Encryptor { return base().Encryptor() }

// NewTenantDecryptor returns the build's decryptor confined to a tenant's
// keys (see secrets.TenantKeys).
func NewTenantDecryptor(k *secrets.TenantKeys) (secrets.Decryptor, error) {
	return base().WithTenantKeys(k)
}
