package secrets_test

import (
	"errors"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// The tests of this file's package (secrets_test) run the Resolver and the
// KeyPolicy with a real SOPS implementation: that of the build
// (internal/testsops), so that `go test -tags lean ./pkg/secrets` runs
// them with package sopslean.

// openRoot opens dir as a Root that is closed when the test ends.
func openRoot(t *testing.T, dir string) *secrets.Root {
	t.Helper()
	r, err := secrets.OpenRoot(dir)
	if err != nil {
		t.Fatalf("OpenRoot(%q): %v", dir, err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// fixtureResolver returns a Resolver over a copy of the fixtures, using the
// build's SOPS decryptor.
func fixtureResolver(t *testing.T) *secrets.Resolver {
	t.Helper()
	return secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), testsops.NewDecryptor())
}

// assertReason fails unless err is a *secrets.Error with the wanted
// reason, and checks that the message is clean of every fixture secret.
func assertReason(t *testing.T, err error, want secrets.Reason) {
	t.Helper()
	secretstest.AssertReason(t, err, want, secrets.ReasonOf)
}

// errorWithReason is assertReason returning the *secrets.Error.
func errorWithReason(t *testing.T, err error, want secrets.Reason) *secrets.Error {
	t.Helper()
	assertReason(t, err, want)
	var e *secrets.Error
	errors.As(err, &e)
	return e
}
