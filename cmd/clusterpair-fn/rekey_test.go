//go:build !lean

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestRekeyReportsEachFile rotates a copy of the kustomize example to
// another age key: the report lists each file with the recipient added and
// the one removed; --dry-run says the same and writes nothing.
func TestRekeyReportsEachFile(t *testing.T) {
	testenv.UseDemoKey(t)
	dir := filepath.Join(t.TempDir(), "pair")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), dir)
	demo, other := testenv.Recipient(t, testenv.DemoKeyFile()), testenv.Recipient(t, testenv.OtherKeyFile())
	conf := "creation_rules:\n  - path_regex: .*\n    age: " + other + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "px-token.enc"))
	out, _, err := execute(t, "", "rekey", "--dry-run", dir)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "px-token.enc")); string(after) != string(before) {
		t.Error("--dry-run rewrote a file")
	}
	if !strings.Contains(out, "would rekey") || !strings.Contains(out, "2 file(s) referenced, 2 to rekey.") {
		t.Errorf("dry run report:\n%s", out)
	}
	out, _, err = execute(t, "", "rekey", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		filepath.Join(dir, "destination-kubeconfig.yaml") + ": rekeyed (app/dr-west spec.destination.kubeconfig)",
		filepath.Join(dir, "px-token.enc") + ": rekeyed (app/dr-west spec.storage.token)",
		"  + age " + other, "  - age " + demo,
		"2 file(s) referenced, 2 rekeyed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	t.Setenv("SOPS_AGE_KEY_FILE", testenv.OtherKeyFile())
	out, _, err = execute(t, "", "rekey", dir)
	if err != nil || !strings.Contains(out, "2 file(s) referenced, 0 rekeyed.") || !strings.Contains(out, "up to date") {
		t.Errorf("second run: %v\n%s", err, out)
	}
}

// TestNewServiceAccountDryRun prints the objects and writes nothing.
func TestNewServiceAccountDryRun(t *testing.T) {
	testenv.Isolate(t)
	dir := filepath.Join(t.TempDir(), "pair")
	out, _, err := execute(t, "", "new", "dr-west", "-n", "app", "--kubeconfig", "/nonexistent", "--dir", dir,
		"--service-account", "stork-dr", "--token-duration", "8760h", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: ServiceAccount", "name: clusterpair-fn:kube-system:stork-dr", "name: cluster-admin", "kind: TokenRequest", "expirationSeconds: 31536000"} {
		if !strings.Contains(out, want) {
			t.Errorf("--dry-run output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("--dry-run wrote the pair directory")
	}
	// Without --service-account, --dry-run is new's own: it checks the
	// request first (here: no Portworx endpoint) and writes nothing.
	if _, _, err := execute(t, "", "new", "dr-west", "-n", "app", "--kubeconfig", "x", "--dir", dir, "--dry-run"); err == nil || !strings.Contains(err.Error(), "--px-endpoint is required") {
		t.Errorf("--dry-run without --service-account: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("--dry-run wrote the pair directory")
	}
}
