package secretstest

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

var (
	canaryOnce sync.Once
	canaryList []string
	canaryErr  error
)

// Canaries returns the plaintext secret values of every fixture, decrypted by
// the sops CLI: tokens, passwords, client keys (base64 and PEM), the binary
// tokens, PX_TOKEN and the plaintext token. No error message and no printed
// Value may contain any of them.
func Canaries(t testing.TB) []string {
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
		out, err := SOPSCLIDecrypt(file)
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

// AssertNoSecret fails if text contains any secret, any 16-byte fragment of
// one, or one in hex. Its failure messages show the text redacted, so that a
// leak does not spread the secret further into test logs.
func AssertNoSecret(t testing.TB, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		switch {
		case strings.Contains(text, s):
			t.Errorf("text reveals a secret (%d bytes starting %q): %s", len(s), s[:min(len(s), 6)], Redact(text, secrets))
		case strings.Contains(text, hex.EncodeToString([]byte(s))[:min(2*len(s), 2*window)]):
			t.Errorf("text reveals a secret in hex (starting %q): %s", s[:min(len(s), 6)], Redact(text, secrets))
		default:
			for i := 0; i+window <= len(s); i++ {
				if strings.Contains(text, s[i:i+window]) {
					t.Errorf("text reveals a %d-byte fragment at offset %d of a secret starting %q: %s", window, i, s[:min(len(s), 6)], Redact(text, secrets))
					break
				}
			}
		}
	}
}

// Redact replaces the secrets (whole, or in hex) in text and shortens it.
func Redact(text string, secrets []string) string {
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

// AssertContains fails unless text contains every part.
func AssertContains(t testing.TB, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%q does not contain %q", text, p)
		}
	}
}

// AssertReason fails unless reasonOf(err) is want (non-empty: for
// pkg/secrets, reasonOf is secrets.ReasonOf, which only an *Error passes),
// and checks that the message, printed every way, is clean of every
// fixture secret.
func AssertReason[R ~string](t testing.TB, err error, want R, reasonOf func(error) R) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	if got := reasonOf(err); got != want {
		t.Fatalf("reason = %q (%v, %T), want %q", got, err, err, want)
	}
	AssertNoSecret(t, err.Error(), Canaries(t)...)
	AssertNoSecret(t, fmt.Sprintf("%+v %#v", err, err), Canaries(t)...)
}
