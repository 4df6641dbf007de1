// Package testenv gives tests a hermetic environment and the paths of the
// repository's fixtures and tools. Tests that need a tool fail (never skip)
// when it is missing: `make tools` installs them.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// RepoRoot returns the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Path returns a path under the repository root.
func Path(elem ...string) string {
	return filepath.Join(append([]string{RepoRoot()}, elem...)...)
}

// DemoKeyFile is the demo-only age identity the fixtures are encrypted to.
func DemoKeyFile() string { return Path("examples", "demo.agekey") }

// OtherKeyFile is an age identity no fixture's main key matches.
func OtherKeyFile() string { return Path("testdata", "keys", "other.agekey") }

// Isolate points HOME and XDG_CONFIG_HOME at empty temp dirs and clears every
// sops key variable, so no key of the host leaks into the test. It uses
// t.Setenv, so the test must not be parallel.
func Isolate(t testing.TB) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GNUPGHOME", filepath.Join(home, ".gnupg"))
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SOPS_") || strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "VAULT_") ||
			strings.HasPrefix(name, "AZURE_") || strings.HasPrefix(name, "GOOGLE_") || name == "CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS" {
			t.Setenv(name, "")
			_ = os.Unsetenv(name)
		}
	}
}

// UseDemoKey isolates the test and makes the demo key the only age key.
func UseDemoKey(t testing.TB) {
	t.Helper()
	Isolate(t)
	t.Setenv("SOPS_AGE_KEY_FILE", DemoKeyFile())
}

// MainIsolated runs a package's tests hermetically (call it from TestMain
// and pass its result to os.Exit): the process environment becomes
// IsolatedEnv of a fresh temporary directory plus extra, so no credential
// file or variable of the host can stand in for the ones the tests give.
func MainIsolated(m *testing.M, extra ...string) int {
	dir, err := os.MkdirTemp("", "clusterpair-fn-test-home-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	env := IsolatedEnv(dir, extra...)
	os.Clearenv()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		_ = os.Setenv(k, v)
	}
	return m.Run()
}

// IsolatedEnv returns os.Environ() with HOME/XDG/GNUPGHOME pointed at dir and
// every sops key variable removed, plus extra, for child processes.
func IsolatedEnv(dir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "HOME" || name == "XDG_CONFIG_HOME" || name == "GNUPGHOME":
		case strings.HasPrefix(name, "SOPS_"), strings.HasPrefix(name, "AWS_"), strings.HasPrefix(name, "VAULT_"),
			strings.HasPrefix(name, "AZURE_"), strings.HasPrefix(name, "GOOGLE_"):
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"), "GNUPGHOME="+filepath.Join(dir, ".gnupg"))
	return append(env, extra...)
}

// Tool returns the path of a tool installed by `make tools` or `make build`
// into ./bin (kustomize, sops, clusterpair-fn), or of kpt on PATH. The test
// fails when it is missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p := Path("bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if lp, err := exec.LookPath(name); err == nil && name == "kpt" {
		return lp
	}
	t.Fatalf("%s not found in %s: run `make tools build` (tests never skip for a missing tool)", name, filepath.Dir(p))
	return ""
}

// SOPSDecrypt decrypts path with the sops CLI of ./bin, in an isolated
// environment (see IsolatedEnv) holding only keyEnv (e.g.
// "SOPS_AGE_KEY_FILE=..."); the error carries sops's stderr.
func SOPSDecrypt(t testing.TB, path string, keyEnv ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(Tool(t, "sops"), "--disable-version-check", "decrypt", path)
	cmd.Dir = t.TempDir()
	cmd.Env = IsolatedEnv(t.TempDir(), keyEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sops decrypt %s: %v: %s", path, err, stderr.String())
	}
	return out, nil
}

// CopyFile copies one file (mode 0600).
func CopyFile(t testing.TB, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// CopyDir copies the regular files of src (recursively) into dst.
func CopyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
}

// CompareGolden compares got with the golden file at path; with
// UPDATE_GOLDEN set it rewrites the file instead.
func CompareGolden(t testing.TB, path, got string) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 creates it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (UPDATE_GOLDEN=1 rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// Recipient returns the age recipient (public key) of an age identity file
// written by age-keygen.
func Recipient(t testing.TB, keyFile string) string {
	t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if _, r, ok := strings.Cut(line, "public key: "); ok {
			return strings.TrimSpace(r)
		}
	}
	t.Fatalf("no public key in %s", keyFile)
	return ""
}
