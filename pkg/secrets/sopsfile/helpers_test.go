package sopsfile_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/getsops/sops/v3/decrypt"
	sopslogging "github.com/getsops/sops/v3/logging"
	"github.com/sirupsen/logrus"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

func init() {
	// The sops library warns on stderr about comments it cannot decrypt;
	// the tests provoke that on purpose.
	sopslogging.SetLevel(logrus.ErrorLevel)
}

// formatForPath is the sops CLI's rule.
func formatForPath(p string) sopsfile.Format {
	switch filepath.Ext(p) {
	case ".yaml", ".yml":
		return sopsfile.YAML
	case ".json":
		return sopsfile.JSON
	case ".env":
		return sopsfile.Dotenv
	case ".ini":
		return sopsfile.INI
	}
	return sopsfile.Binary
}

var recipientRE = regexp.MustCompile(`age1[0-9a-z]+`)

// recipientOf returns the public key noted in an age key file.
func recipientOf(t testing.TB, keyFile string) string {
	t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	r := recipientRE.FindString(string(data))
	if r == "" {
		t.Fatalf("%s: no age recipient comment", keyFile)
	}
	return r
}

// sopsCLI runs the real sops (./bin/sops) in dir with a hermetic
// environment: global flags, then "encrypt", then args and the file name.
type sopsCLI struct {
	t   testing.TB
	bin string
	dir string
	env []string
}

func newSOPSCLI(t testing.TB, extraEnv ...string) *sopsCLI {
	t.Helper()
	dir := t.TempDir()
	home := t.TempDir()
	return &sopsCLI{t: t, bin: testenv.Tool(t, "sops"), dir: dir, env: testenv.IsolatedEnv(home, extraEnv...)}
}

func (s *sopsCLI) encrypt(name string, plaintext []byte, global []string, args ...string) []byte {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, name), plaintext, 0o600); err != nil {
		s.t.Fatal(err)
	}
	cmdArgs := append([]string{"--disable-version-check"}, global...)
	cmdArgs = append(cmdArgs, "encrypt")
	cmdArgs = append(cmdArgs, args...)
	cmdArgs = append(cmdArgs, name)
	cmd := exec.Command(s.bin, cmdArgs...)
	cmd.Dir = s.dir
	cmd.Env = s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("sops %s: %v\n%s", strings.Join(cmdArgs, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// decryptBoth decrypts with the full sops library and with this package
// (a fresh Decryptor, so that no identity loaded under another test's
// environment is reused) and returns both plaintexts and errors.
func decryptBoth(t testing.TB, data []byte, format sopsfile.Format) (full, lean []byte, fullErr, leanErr error, doc *sopsfile.Document) {
	t.Helper()
	full, fullErr = decrypt.Data(data, string(format))
	doc, leanErr = sopsfile.NewDecryptor().Decrypt(data, format)
	if leanErr == nil {
		lean, leanErr = doc.Plaintext()
		if leanErr != nil {
			t.Fatalf("Plaintext after a successful Decrypt: %v", leanErr)
		}
	}
	return full, lean, fullErr, leanErr, doc
}

// requireSame asserts that both decrypt and print the same bytes.
func requireSame(t testing.TB, name string, data []byte, format sopsfile.Format) *sopsfile.Document {
	t.Helper()
	full, lean, fullErr, leanErr, doc := decryptBoth(t, data, format)
	if fullErr != nil {
		t.Fatalf("%s: the sops library fails: %v", name, fullErr)
	}
	if leanErr != nil {
		t.Fatalf("%s: sopsfile fails where the sops library succeeds: %v", name, leanErr)
	}
	if !bytes.Equal(full, lean) {
		t.Fatalf("%s: plaintexts differ\n--- sops:\n%s\n--- sopsfile:\n%s", name, full, lean)
	}
	return doc
}

// requireKind asserts that err is an *Error of the kind and carries none of
// the secrets.
func requireKind(t testing.TB, name string, err, kind error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", name, kind)
	}
	var e *sopsfile.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %T %v is not a *sopsfile.Error", name, err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("%s: error %q, want kind %q", name, err, kind)
	}
	requireNoSecret(t, name, err, secrets...)
}

func requireNoSecret(t testing.TB, name string, err error, secrets ...string) {
	t.Helper()
	msg := err.Error()
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Fatalf("%s: error %q reveals the secret %q", name, msg, s)
		}
	}
}

// lookup walks a decrypted tree by mapping keys and list indexes.
func lookup(t testing.TB, doc *sopsfile.Document, path ...any) any {
	t.Helper()
	if len(doc.Branches) == 0 {
		t.Fatal("no branches")
	}
	var cur any = doc.Branches[0]
	for _, p := range path {
		switch key := p.(type) {
		case string:
			m, ok := cur.(sopsfile.Mapping)
			if !ok {
				t.Fatalf("at %q: %T is not a mapping", key, cur)
			}
			v, found := m.Get(key)
			if !found {
				t.Fatalf("no key %q (have %v)", key, m.Keys())
			}
			cur = v
		case int:
			l, ok := cur.(sopsfile.List)
			if !ok {
				t.Fatalf("at [%d]: %T is not a list", key, cur)
			}
			items := l.Items()
			if key >= len(items) {
				t.Fatalf("index %d of %d items", key, len(items))
			}
			cur = items[key]
		}
	}
	return cur
}

// replaceOnce replaces the first match of re in data, failing if none.
func replaceOnce(t testing.TB, data []byte, re, repl string) []byte {
	t.Helper()
	r := regexp.MustCompile(re)
	loc := r.FindSubmatchIndex(data)
	if loc == nil {
		t.Fatalf("pattern %q not found", re)
	}
	var out []byte
	out = append(out, data[:loc[0]]...)
	out = r.Expand(out, []byte(repl), data, loc)
	return append(out, data[loc[1]:]...)
}

func readFixture(t testing.TB, elem ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(testenv.Path(elem...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// changeChar replaces the character that the second group of re matches
// with a different one (Z, or A where it already was Z), so that the data
// always changes.
func changeChar(t testing.TB, data []byte, re string) []byte {
	t.Helper()
	r := regexp.MustCompile(re)
	loc := r.FindSubmatchIndex(data)
	if len(loc) < 6 || loc[5]-loc[4] != 1 {
		t.Fatalf("pattern %q does not match one character in its second group", re)
	}
	out := append([]byte(nil), data...)
	if out[loc[4]] == 'Z' {
		out[loc[4]] = 'A'
	} else {
		out[loc[4]] = 'Z'
	}
	return out
}
