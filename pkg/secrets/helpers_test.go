package secrets

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// The fixtures, their canaries and the leak assertions are shared with
// the SOPS implementations' tests: see internal/secretstest.

// openRoot opens dir as a Root that is closed when the test ends.
func openRoot(t *testing.T, dir string) *Root {
	t.Helper()
	r, err := OpenRoot(dir)
	if err != nil {
		t.Fatalf("OpenRoot(%q): %v", dir, err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// assertReason fails unless err is an *Error with the wanted reason, and
// checks that the message is clean of every fixture secret.
func assertReason(t *testing.T, err error, want Reason) {
	t.Helper()
	secretstest.AssertReason(t, err, want, ReasonOf)
}

// errorWithReason is assertReason returning the *Error.
func errorWithReason(t *testing.T, err error, want Reason) *Error {
	t.Helper()
	assertReason(t, err, want)
	var e *Error
	errors.As(err, &e)
	return e
}

func TestErrorAndReasonOf(t *testing.T) {
	testenv.Isolate(t)
	e := NewError("dir/f.yaml", ReasonTampered, "MAC %s", "mismatch")
	if e.Error() != "integrity check failed: MAC mismatch" || e.File != "dir/f.yaml" {
		t.Fatalf("Error() = %q, File = %q", e.Error(), e.File)
	}
	wrapped := fmt.Errorf("resolving: %w", e)
	if ReasonOf(wrapped) != ReasonTampered {
		t.Errorf("ReasonOf(wrapped) = %q", ReasonOf(wrapped))
	}
	for _, err := range []error{nil, errors.New("plain"), fmt.Errorf("x: %w", os.ErrNotExist)} {
		if r := ReasonOf(err); r != "" {
			t.Errorf("ReasonOf(%v) = %q, want \"\"", err, r)
		}
	}
}
