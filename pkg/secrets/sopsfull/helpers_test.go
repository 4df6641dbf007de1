package sopsfull

import (
	"errors"
	"os"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// The fixtures, their canaries and the leak assertions are shared with
// pkg/secrets: see internal/secretstest.

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

// fixtureResolver returns a Resolver over a copy of the fixtures, using
// this package's decryptor.
func fixtureResolver(t *testing.T) *secrets.Resolver {
	t.Helper()
	return secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), NewDecryptor())
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

// mustWrite writes a file of the test.
func mustWrite(t *testing.T, file, content string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
