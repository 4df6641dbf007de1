// Package secretstest holds the test helpers of pkg/secrets and of its two
// SOPS implementations (sopsfull, sopslean): the fixtures, their secret
// values as the sops CLI decrypts them (the canaries), and the assertions
// that no error or printed value reveals one. It does not import
// pkg/secrets, so that the tests inside that package can use it too.
package secretstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// FixtureDir copies the fixtures of pkg/secrets into one fresh directory so
// that tests may add symlinks, FIFOs and damaged files next to them without
// touching the repository. The fixtures live in two places:
//
//   - testdata/secrets/ at the repository root, written by hack/gen-fixtures.sh;
//   - pkg/secrets/testdata/ (list.yaml, settings.ini, config.json), encrypted
//     with the sops CLI to the demo key (examples/demo.agekey):
//     sops --disable-version-check encrypt --age <demo recipient> FILE
func FixtureDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	testenv.CopyDir(t, testenv.Path("testdata", "secrets"), dir)
	testenv.CopyDir(t, testenv.Path("pkg", "secrets", "testdata"), dir)
	return dir
}

// SOPSCLIDecrypt decrypts a fixture with the sops CLI (not with this
// repository's code), in an isolated environment that holds only the demo key.
func SOPSCLIDecrypt(file string) ([]byte, error) {
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

// MustSOPSDecrypt is SOPSCLIDecrypt for a test.
func MustSOPSDecrypt(t testing.TB, file string) []byte {
	t.Helper()
	out, err := SOPSCLIDecrypt(file)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// SrcFixture is the path of a fixture of testdata/secrets.
func SrcFixture(f string) string { return testenv.Path("testdata", "secrets", f) }

// LocalFixture is the path of a fixture of pkg/secrets/testdata.
func LocalFixture(f string) string { return testenv.Path("pkg", "secrets", "testdata", f) }

// ReadFixture reads a fixture of testdata/secrets.
func ReadFixture(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(SrcFixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// EnvValue returns the value of key in a dotenv document.
func EnvValue(t testing.TB, data []byte, key string) string {
	t.Helper()
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == key {
			return v
		}
	}
	t.Fatalf("no %s in the dotenv", key)
	return ""
}

// FakeAgePlugin puts an age-plugin-NAME program on PATH that leaves a
// marker file when it runs; it returns the marker's path.
func FakeAgePlugin(t testing.TB, name string) string {
	t.Helper()
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	script := "#!/bin/sh\ntouch '" + marker + "'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "age-plugin-"+name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return marker
}

// GPGHome makes a throwaway GnuPG home (mode 0700, a short path: gpg-agent's
// socket path is limited) holding one ed25519 signing key with a cv25519
// encryption subkey, and returns it with the key's fingerprint; the agent
// is stopped and the home removed when the test ends. gpg must be
// installed: tests never skip.
func GPGHome(t testing.TB) (home, fingerprint string) {
	t.Helper()
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		t.Fatal("gpg is not installed (apt-get install gnupg): PGP decryption cannot be tested, and tests never skip")
	}
	home, err = os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(testenv.IsolatedEnv(t.TempDir()), "GNUPGHOME="+home)
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
		cmd.Env = env
		_ = cmd.Run()
		_ = os.RemoveAll(home)
	})
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gpg, append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("--quick-gen-key", "clusterpair-fn test <test@example.invalid>", "ed25519", "cert", "never")
	fpr := regexp.MustCompile(`(?m)^fpr:+([0-9A-F]{40}):`).FindStringSubmatch(run("--list-keys", "--with-colons"))
	if fpr == nil {
		t.Fatal("gpg listed no fingerprint")
	}
	run("--quick-add-key", fpr[1], "cv25519", "encr", "never")
	return home, fpr[1]
}
