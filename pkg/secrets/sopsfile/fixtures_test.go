package sopsfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// fixtureFiles are every SOPS fixture of the repository (made by the sops
// CLI), plus the example's files.
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"testdata/secrets/*", "pkg/secrets/testdata/*", "examples/kustomize/*.enc", "examples/kustomize/destination-kubeconfig.yaml"} {
		m, err := filepath.Glob(testenv.Path(pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("only %d fixtures found", len(files))
	}
	return files
}

// TestFixturesMatchSOPS decrypts every fixture with the sops library and
// with sopsfile: where sops succeeds, sopsfile must print the same bytes;
// where sops fails, sopsfile must fail too.
func TestFixturesMatchSOPS(t *testing.T) {
	testenv.UseDemoKey(t)
	succeeded := 0
	for _, f := range fixtureFiles(t) {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		format := formatForPath(f)
		full, lean, fullErr, leanErr, _ := decryptBoth(t, data, format)
		switch {
		case fullErr == nil && leanErr == nil:
			if string(full) != string(lean) {
				t.Errorf("%s: plaintexts differ\n--- sops:\n%s\n--- sopsfile:\n%s", name, full, lean)
			}
			succeeded++
		case fullErr == nil:
			t.Errorf("%s: sopsfile fails (%v) where sops succeeds", name, leanErr)
		case leanErr == nil:
			t.Errorf("%s: sopsfile succeeds where sops fails (%v)", name, fullErr)
		default:
			var e *sopsfile.Error
			if !errors.As(leanErr, &e) {
				t.Errorf("%s: %T is not a *sopsfile.Error", name, leanErr)
			}
			t.Logf("%s: both fail; sopsfile: %v", name, leanErr)
		}
	}
	if succeeded < 15 {
		t.Fatalf("only %d fixtures decrypted", succeeded)
	}
}

// TestFixtureFailures pins the kind of each damaged fixture.
func TestFixtureFailures(t *testing.T) {
	testenv.UseDemoKey(t)
	secretsOf := func(t *testing.T) []string {
		doc, err := sopsfile.NewDecryptor().Decrypt(readFixture(t, "testdata", "secrets", "kubeconfig.yaml"), sopsfile.YAML)
		if err != nil {
			t.Fatal(err)
		}
		return collectSecrets(doc, 6)
	}
	secrets := secretsOf(t)
	cases := []struct {
		file string
		kind error
	}{
		{"kubeconfig-otherkey.yaml", sopsfile.ErrNoKey},
		{"kubeconfig-tampered.yaml", sopsfile.ErrTampered},
		{"kubeconfig-truncated.yaml", sopsfile.ErrNotEncrypted},
		{"token-plaintext.txt", sopsfile.ErrMalformed},
	}
	for _, c := range cases {
		data := readFixture(t, "testdata", "secrets", c.file)
		_, err := sopsfile.NewDecryptor().Decrypt(data, formatForPath(c.file))
		requireKind(t, c.file, err, c.kind, secrets...)
	}
}

// collectSecrets returns the decrypted string values of at least min bytes.
func collectSecrets(doc *sopsfile.Document, min int) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case sopsfile.Mapping:
			for _, it := range x {
				walk(it.Value)
			}
		case sopsfile.List:
			for _, item := range x {
				walk(item)
			}
		default:
			if s, ok := sopsfile.ScalarText(v); ok && len(s) >= min {
				out = append(out, s)
			}
		}
	}
	for _, b := range doc.Branches {
		walk(b)
	}
	return out
}
