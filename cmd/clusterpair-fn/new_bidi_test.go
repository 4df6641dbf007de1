//go:build !lean

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestNewBidirectionalWithObjectStore: the --reverse-* and object store
// flags reach the request; the output names every file and both
// kubeconfigs and no credential, --dry-run writes nothing.
func TestNewBidirectionalWithObjectStore(t *testing.T) {
	testenv.UseDemoKey(t)
	d := startDestination(t)
	kubeconfig, secrets := kubeconfigFor(t, d)
	pxToken, reverseToken := "px-token-"+strings.Repeat("2", 24), "reverse-token-"+strings.Repeat("3", 24)
	keyID, secretKey := "AKIA"+strings.Repeat("7", 16), "s3-secret-"+strings.Repeat("8", 24)
	secrets = append(secrets, pxToken, reverseToken, keyID, secretKey)
	t.Setenv("PX_TOKEN", pxToken)
	t.Setenv("REVERSE_TOKEN", reverseToken)
	t.Setenv("S3_KEY_ID", keyID)
	secretFile := filepath.Join(t.TempDir(), "s3-secret")
	if err := os.WriteFile(secretFile, []byte(secretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "west-east")
	args := []string{"new", "west-east", "-n", "app", "--kubeconfig", kubeconfig, "--context", "live",
		"--px-endpoint", "px-api.east.example.com", "--token-env", "PX_TOKEN",
		"--reverse-kubeconfig", kubeconfig, "--reverse-context", "other", "--reverse-server", "https://api.west.example.com:6443",
		"--reverse-px-endpoint", "px-api.west.example.com", "--reverse-token-env", "REVERSE_TOKEN",
		"--object-store", "s3", "--bucket", "px-dr-west-east", "--s3-region", "eu-west-1",
		"--s3-access-key-id-env", "S3_KEY_ID", "--s3-secret-access-key-file", secretFile,
		"--age", demoRecipient(t), "--dir", dir}
	for _, dryRun := range []bool{true, false} {
		run := args
		if dryRun {
			run = append(run, "--dry-run")
		}
		out, stderr, err := execute(t, "", run...)
		if err != nil {
			t.Fatalf("new (dry run %v): %v\n%s%s", dryRun, err, out, stderr)
		}
		for _, want := range []string{"objectstore.yaml", "source-kubeconfig.yaml       SOPS-encrypted to age age1", "source-token.enc",
			`Reverse kubeconfig: context "other" only (cluster "other" at https://other.example.com:6443, user "other": bearer token)`} {
			if !strings.Contains(out, want) {
				t.Errorf("new's output lacks %q:\n%s", want, out)
			}
		}
		assertNoSecret(t, "new's output", out+stderr, secrets)
		entries, _ := os.ReadDir(dir)
		if dryRun && len(entries) > 0 {
			t.Errorf("--dry-run wrote %d files", len(entries))
		}
		if !dryRun && len(entries) != 7 {
			t.Errorf("new wrote %d files, want 7", len(entries))
		}
	}
	out, _, err := execute(t, "", append(args, "--layout", "flux", "--dir", filepath.Join(t.TempDir(), "flux"), "--dry-run")...)
	if err != nil || !strings.Contains(out, "render.sh                    CI: renders rendered/source/ and rendered/destination/ for Flux") {
		t.Errorf("new --layout flux --dry-run: %v\n%s", err, out)
	}
	req, err := os.ReadFile(filepath.Join(dir, "clusterpair.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  reverse:\n    kubeconfig:\n      file: source-kubeconfig.yaml\n      server: https://api.west.example.com:6443\n",
		"  objectStore:\n    provider: s3\n    bucket: px-dr-west-east\n    s3:\n      region: eu-west-1\n      accessKeyID:\n        file: objectstore.yaml\n        key: s3.accessKeyID\n"} {
		if !strings.Contains(string(req), want) {
			t.Errorf("the request lacks %q:\n%s", want, req)
		}
	}
}

// TestNewHelpDocumentsReverseAndObjectStore: --help explains the new flags
// and their credential scheme.
func TestNewHelpDocumentsReverseAndObjectStore(t *testing.T) {
	out, _, err := execute(t, "", "new", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--reverse-kubeconfig", "--reverse-token-env", "source-kubeconfig.yaml", "CLUSTERPAIR_SIDE",
		"--object-store s3|azure|google", "--s3-access-key-id-file", "--google-account-key-env", "objectstore.yaml", "never its value"} {
		if !strings.Contains(out, want) {
			t.Errorf("new --help lacks %q", want)
		}
	}
}
