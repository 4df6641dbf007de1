package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// kmsOnly rewrites an age-encrypted SOPS YAML file so that its only master
// key is an AWS KMS key: only the full sops library can even try it.
func kmsOnly(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	meta := doc["sops"].(map[string]any)
	delete(meta, "age")
	meta["kms"] = []any{map[string]any{
		"arn":         "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"created_at":  "2026-01-01T00:00:00Z",
		"enc":         "AQICAHhbm9uZXhpc3RlbnQta2V5LWZvci10ZXN0cw==",
		"aws_profile": "",
	}}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// offlineAWS keeps the AWS SDK from looking for credentials on the network,
// and allows the test's KMS key (network key sources are the operator's
// choice: without the entry the lean build refuses the file itself).
var offlineAWS = []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=example", "AWS_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1", "AWS_ENDPOINT_URL=http://127.0.0.1:1",
	"CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS=kms=arn:aws:kms:us-east-1:111122223333:key/*"}

// TestLeanHandsKMSOverToFull: the lean clusterpair-fn cannot use a KMS key,
// so it hands the run to clusterpair-fn-full, whose report (naming the KMS
// key it tried) is the only one printed.
func TestLeanHandsKMSOverToFull(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	testenv.Tool(t, "clusterpair-fn")
	testenv.Tool(t, "clusterpair-fn-full")
	dir := copyExample(t, "kustomize")
	kmsOnly(t, filepath.Join(dir, "destination-kubeconfig.yaml"))
	r := runTool(t, dir, append(demoKeyEnv(), offlineAWS...), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if r.err == nil {
		t.Fatalf("a KMS key without KMS access rendered:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "no usable decryption key") || !strings.Contains(r.stderr, "kms arn:aws:kms:us-east-1:111122223333") {
		t.Errorf("the full build did not report on the KMS key:\n%s", r.stderr)
	}
	if n := strings.Count(r.stderr, "spec.destination.kubeconfig.file"); n != 1 {
		t.Errorf("want exactly one report (the full build's), got %d:\n%s", n, r.stderr)
	}
	if strings.Contains(r.stderr, "needs a key source of the full sops library") {
		t.Errorf("the lean build's own finding leaked:\n%s", r.stderr)
	}
}

// TestLeanWithoutFullSaysWhatIsMissing: with clusterpair-fn-full absent,
// the lean build fails naming it, and still renders age-only pairs.
func TestLeanWithoutFullSaysWhatIsMissing(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	lean := testenv.Tool(t, "clusterpair-fn")
	alone := t.TempDir() // clusterpair-fn and kustomize, without clusterpair-fn-full
	for name, src := range map[string]string{"clusterpair-fn": lean, "kustomize": kustomize} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(alone, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	kustomize = filepath.Join(alone, "kustomize")
	path := "PATH=" + alone + ":/usr/bin:/bin"
	dir := copyExample(t, "kustomize")
	ok := runTool(t, dir, append(demoKeyEnv(), path), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if ok.err != nil || !strings.Contains(ok.stdout, "kind: ClusterPair") {
		t.Fatalf("the lean build alone must render an age-encrypted pair: %v\n%s", ok.err, ok.stderr)
	}
	kmsOnly(t, filepath.Join(dir, "destination-kubeconfig.yaml"))
	r := runTool(t, dir, append(append(demoKeyEnv(), offlineAWS...), path), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if r.err == nil || !strings.Contains(r.stderr, "clusterpair-fn-full is not installed") {
		t.Fatalf("want a failure naming clusterpair-fn-full:\n%s", r.stderr)
	}
}
