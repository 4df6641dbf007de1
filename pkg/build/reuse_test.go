//go:build !lean

package build_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
)

// TestRequireEncryptedHoldsForReusedOutput (found by review; failed
// before the fix): --require-encrypted (examples/flux/render.sh, whose output is
// committed) checks only that each object has a "sops" key. The earlier
// output named by spec.output.file is the repository's, and it is reused
// byte for byte whenever it decrypts to the same object, whatever its
// recipients and whatever its sops metadata leaves unencrypted. A file
// whose encrypted_regex matches nothing (every value in plaintext, with a
// valid MAC under a data key wrapped to the renderer's public age key) is
// reused: build exits 0 printing the destination's client key and the
// Portworx token in plaintext, and render.sh commits them.
func TestRequireEncryptedHoldsForReusedOutput(t *testing.T) {
	recipient := testenv.Recipient(t, testenv.DemoKeyFile())
	dir := pairDir(t, "", nil)
	req, err := os.ReadFile(filepath.Join(dir, "clusterpair.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	req = append(req, []byte("  output:\n    file: rendered.yaml\n    encrypt:\n      age: ["+recipient+"]\n")...)
	if err := os.WriteFile(filepath.Join(dir, "clusterpair.yaml"), req, 0o644); err != nil {
		t.Fatal(err)
	}
	first, log, err := run(t, dir, build.Options{RequireEncrypted: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	doc, err := sopsfull.NewDecryptor().Decrypt("out", first.Output, secrets.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := doc.Whole("out")
	if err != nil {
		t.Fatal(err)
	}
	// "Encrypted" earlier output that encrypts nothing.
	hollow, err := sopsfull.NewEncryptor().EncryptYAML(plain.Bytes(), secrets.EncryptOptions{
		Groups:           []secrets.KeyGroup{{Age: []string{recipient}}},
		EncryptedRegex:   "^nothing$",
		MACOnlyEncrypted: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rendered.yaml"), hollow, 0o644); err != nil {
		t.Fatal(err)
	}
	second, log, err := run(t, dir, build.Options{RequireEncrypted: true})
	if err != nil {
		return // refused: what the fix should do (or re-encrypt)
	}
	var token string
	for _, line := range strings.Split(string(plain.Bytes()), "\n") {
		if strings.Contains(line, "token:") {
			token = strings.TrimSpace(line)
		}
	}
	if token == "" {
		t.Fatal("no token line in the rendered pair")
	}
	if strings.Contains(string(second.Output), token) {
		t.Errorf("--require-encrypted printed (exit 0) the pair's Portworx token in plaintext, reusing the repository's hollow earlier output:\n%s", log)
	}
}
