package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// The fixtures of this package live in two places:
//
//   - testdata/secrets/ at the repository root, written by hack/gen-fixtures.sh;
//   - pkg/secrets/testdata/ (list.yaml, settings.ini, config.json), encrypted
//     with the sops CLI to the demo key (examples/demo.agekey):
//     sops --disable-version-check encrypt --age <demo recipient> FILE
//
// fixtureDir copies both into one fresh directory so that tests may add
// symlinks, FIFOs and damaged files next to them without touching the
// repository.
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testenv.CopyDir(t, testenv.Path("testdata", "secrets"), dir)
	testenv.CopyDir(t, "testdata", dir)
	return dir
}

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

// fixtureResolver returns a Resolver over a copy of the fixtures, using the
// real sops decryptor.
func fixtureResolver(t *testing.T) *Resolver {
	t.Helper()
	return NewResolver(openRoot(t, fixtureDir(t)), NewSOPSDecryptor())
}

// sopsCLIDecrypt decrypts a fixture with the sops CLI (not with this
// package), in an isolated environment that holds only the demo key.
func sopsCLIDecrypt(file string) ([]byte, error) {
	sops := testenv.Path("bin", "sops")
	if _, err := os.Stat(sops); err != nil {
		return nil, fmt.Errorf("the sops CLI is missing (run `make tools`): %w", err)
	}
	home, err := os.MkdirTemp("", "secrets-sops-home-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	cmd := exec.Command(sops, "--disable-version-check", "decrypt", file)
	cmd.Env = testenv.IsolatedEnv(home, "SOPS_AGE_KEY_FILE="+testenv.DemoKeyFile())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sops decrypt %s: %v\n%s", file, err, stderr.String())
	}
	return out, nil
}

// mustSOPSDecrypt is sopsCLIDecrypt for a test.
func mustSOPSDecrypt(t testing.TB, file string) []byte {
	t.Helper()
	out, err := sopsCLIDecrypt(file)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	canaryOnce sync.Once
	canaryList []string
	canaryErr  error
)

// canaries returns the plaintext secret values of every fixture, decrypted by
// the sops CLI: tokens, passwords, client keys (base64 and PEM), the binary
// tokens, PX_TOKEN and the plaintext token. No error message and no printed
// Value may contain any of them.
func canaries(t testing.TB) []string {
	t.Helper()
	canaryOnce.Do(func() { canaryList, canaryErr = collectCanaries() })
	if canaryErr != nil {
		t.Fatalf("collecting the fixtures' secret values: %v", canaryErr)
	}
	return canaryList
}

func collectCanaries() ([]string, error) {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if len(s) >= 16 {
			out = append(out, s)
		}
	}
	secretKeys := map[string]bool{"token": true, "client-key-data": true, "password": true}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && secretKeys[k] {
					add(s)
					if k == "client-key-data" {
						pem, err := base64.StdEncoding.DecodeString(s)
						if err == nil {
							add(string(pem))
							// The PEM body alone, without its constant armour.
							for _, line := range strings.Split(string(pem), "\n") {
								if !strings.HasPrefix(line, "-----") {
									add(line)
								}
							}
						}
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	src := func(f string) string { return testenv.Path("testdata", "secrets", f) }
	local := func(f string) string { return testenv.Path("pkg", "secrets", "testdata", f) }
	var derr error
	decrypt := func(file string) string {
		if derr != nil {
			return ""
		}
		out, err := sopsCLIDecrypt(file)
		if err != nil {
			derr = err
		}
		return string(out)
	}
	for _, f := range []string{
		src("kubeconfig.yaml"), src("kubeconfig-insecure.yaml"), src("kubeconfig-twoauth.yaml"),
		src("kubeconfig-exec.yaml"), src("secrets.yaml"), local("list.yaml"), local("config.json"),
	} {
		var doc any
		if err := yaml.Unmarshal([]byte(decrypt(f)), &doc); err != nil || derr != nil {
			if derr != nil {
				return nil, derr
			}
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		walk(doc)
	}
	for _, line := range strings.Split(decrypt(local("settings.ini")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "token" {
			add(v)
		}
	}
	for _, line := range strings.Split(decrypt(src("px.env")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == "PX_TOKEN" {
			add(v)
		}
	}
	add(decrypt(src("token.enc")))
	add(decrypt(src("token-ws.enc")))
	if derr != nil {
		return nil, derr
	}
	plain, err := os.ReadFile(src("token-plaintext.txt"))
	if err != nil {
		return nil, err
	}
	add(string(plain))
	// Sanity: the canaries the brief names must all be there, or the hygiene
	// assertions would pass vacuously.
	for _, prefix := range []string{"px-plaintext-", "unrelated-", "insecure-", "two-auth-", "list-alpha-", "ini-token-", "json-token-", "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS"} {
		found := false
		for _, c := range out {
			if strings.HasPrefix(c, prefix) {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no canary starting with %q among %d", prefix, len(out))
		}
	}
	pxTokens := 0
	for _, c := range out {
		if strings.HasPrefix(c, "px-") && !strings.HasPrefix(c, "px-plaintext-") {
			pxTokens++
		}
	}
	if pxTokens < 4 { // token.enc, token-ws.enc, secrets.yaml, px.env
		return nil, fmt.Errorf("found %d px- tokens, want at least 4", pxTokens)
	}
	sort.Strings(out)
	return out, nil
}

// window is the length of the fragments of a secret that must not appear
// either: a leak of part of a token is still a leak.
const window = 16

// assertNoSecret fails if text contains any secret, any 16-byte fragment of
// one, or one in hex. Its failure messages show the text redacted, so that a
// leak does not spread the secret further into test logs.
func assertNoSecret(t testing.TB, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		switch {
		case strings.Contains(text, s):
			t.Errorf("text reveals a secret (%d bytes starting %q): %s", len(s), s[:min(len(s), 6)], redact(text, secrets))
		case strings.Contains(text, hex.EncodeToString([]byte(s))[:min(2*len(s), 2*window)]):
			t.Errorf("text reveals a secret in hex (starting %q): %s", s[:min(len(s), 6)], redact(text, secrets))
		default:
			for i := 0; i+window <= len(s); i++ {
				if strings.Contains(text, s[i:i+window]) {
					t.Errorf("text reveals a %d-byte fragment at offset %d of a secret starting %q: %s", window, i, s[:min(len(s), 6)], redact(text, secrets))
					break
				}
			}
		}
	}
}

// redact replaces the secrets (whole, or in hex) in text and shortens it.
func redact(text string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "<SECRET>")
			text = strings.ReplaceAll(text, hex.EncodeToString([]byte(s)), "<SECRET-HEX>")
		}
	}
	if len(text) > 300 {
		text = text[:300] + fmt.Sprintf("... (%d bytes)", len(text))
	}
	return fmt.Sprintf("%q", text)
}

// assertReason fails unless err is an *Error with the wanted reason, and
// checks that the message is clean of every fixture secret.
func assertReason(t *testing.T, err error, want Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *secrets.Error", err, err)
	}
	if e.Reason != want {
		t.Fatalf("reason = %q (%v), want %q", e.Reason, err, want)
	}
	if ReasonOf(err) != want {
		t.Fatalf("ReasonOf = %q, want %q", ReasonOf(err), want)
	}
	assertNoSecret(t, err.Error(), canaries(t)...)
	assertNoSecret(t, fmt.Sprintf("%+v %#v", err, err), canaries(t)...)
}

// errorWithReason is assertReason returning the *Error.
func errorWithReason(t *testing.T, err error, want Reason) *Error {
	t.Helper()
	assertReason(t, err, want)
	var e *Error
	errors.As(err, &e)
	return e
}

// assertContains fails unless text contains every part.
func assertContains(t testing.TB, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%q does not contain %q", text, p)
		}
	}
}

func TestAssertNoSecretDetectsLeaks(t *testing.T) {
	secret := "px-0123456789abcdef0123456789abcdef"
	for _, text := range []string{
		"error: " + secret,
		"error: " + secret[5:25],
		"error: " + hex.EncodeToString([]byte(secret)),
	} {
		ft := &fakeT{}
		assertNoSecret(ft, text, secret)
		if !ft.failed {
			t.Errorf("assertNoSecret missed the leak in %q", text)
		}
	}
	ft := &fakeT{}
	assertNoSecret(ft, "error: key \"token\" not found; file secrets.yaml", secret)
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

func TestErrorAndReasonOf(t *testing.T) {
	testenv.Isolate(t)
	e := newError("dir/f.yaml", ReasonTampered, "MAC %s", "mismatch")
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

func readFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(srcFixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func srcFixture(f string) string   { return testenv.Path("testdata", "secrets", f) }
func localFixture(f string) string { return testenv.Path("pkg", "secrets", "testdata", f) }

func envValue(t *testing.T, data []byte, key string) string {
	t.Helper()
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == key {
			return v
		}
	}
	t.Fatalf("no %s in the dotenv", key)
	return ""
}
