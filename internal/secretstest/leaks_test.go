package secretstest

import (
	"encoding/hex"
	"testing"
)

func TestAssertNoSecretDetectsLeaks(t *testing.T) {
	secret := "px-0123456789abcdef0123456789abcdef"
	for _, text := range []string{
		"error: " + secret,
		"error: " + secret[5:25],
		"error: " + hex.EncodeToString([]byte(secret)),
	} {
		ft := &fakeT{}
		AssertNoSecret(ft, text, secret)
		if !ft.failed {
			t.Errorf("assertNoSecret missed the leak in %q", text)
		}
	}
	ft := &fakeT{}
	AssertNoSecret(ft, "error: key \"token\" not found; file secrets.yaml", secret)
	if ft.failed {
		t.Errorf("assertNoSecret flagged a clean text")
	}
}

// fakeT records failures of a helper under test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
