package e2e

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// newBidirectional runs the lean clusterpair-fn new (handed over to the
// full build) for a bidirectional pair with an S3 object store, the
// credentials from a file and the environment, and returns the pair
// directory and every secret value of the inputs.
func newBidirectional(t *testing.T, layout string) (string, []string) {
	t.Helper()
	kubeconfig, tokenFile, secretValues := newInputs(t)
	reverseKubeconfig, _, reverseValues := newInputs(t) // another CA: another cluster
	inputs := t.TempDir()
	reverseToken, keyID, secretKey := "reverse-token-"+strings.Repeat("6", 32), "AKIA"+strings.Repeat("3", 16), "s3-secret-"+strings.Repeat("4", 32)
	write := func(name, value string) string {
		p := filepath.Join(inputs, name)
		if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	parent := t.TempDir()
	r := runTool(t, parent, append(demoKeyEnv(), "S3_KEY_ID="+keyID), testenv.Tool(t, "clusterpair-fn"),
		"new", "west-east", "-n", "app", "--layout", layout, "--dir", "west-east",
		"--kubeconfig", kubeconfig, "--px-endpoint", "px-api.east.example.com", "--token-file", tokenFile,
		"--reverse-kubeconfig", reverseKubeconfig, "--reverse-server", "https://api.west.example.com:6443",
		"--reverse-px-endpoint", "px-api.west.example.com:9001", "--reverse-token-file", write("reverse-token", reverseToken),
		"--object-store", "s3", "--bucket", "px-dr-west-east", "--s3-region", "eu-west-1",
		"--s3-access-key-id-env", "S3_KEY_ID", "--s3-secret-access-key-file", write("s3-secret", secretKey),
		"--age", testenv.Recipient(t, testenv.DemoKeyFile()))
	values := append(append(secretValues, reverseValues...), reverseToken, keyID, secretKey)
	if r.err != nil {
		t.Fatalf("new --layout %s with --reverse-* and --object-store: %v\n%s", layout, r.err, r.stderr)
	}
	for _, v := range values {
		if strings.Contains(r.stdout+r.stderr, v) {
			t.Error("new's output holds a plaintext secret")
		}
	}
	dir := filepath.Join(parent, "west-east")
	assertNoValues(t, snapshot(t, dir), values)
	return dir, values
}

// TestNewBidirectionalRendersBothSidesWithKustomize: the pair directory
// `new` writes with --reverse-* and --object-store renders, with the real
// kustomize and function, a pair for each cluster pointing at the other,
// each with the object store's Secret and BackupLocation.
func TestNewBidirectionalRendersBothSidesWithKustomize(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	dir, _ := newBidirectional(t, "kustomize")
	want := map[string]string{"source": "px-api.east.example.com", "destination": "px-api.west.example.com"}
	for side, ip := range want {
		r := runTool(t, dir, append(demoKeyEnv(), "CLUSTERPAIR_SIDE="+side), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
		if r.err != nil {
			t.Fatalf("%s: %v\n%s", side, r.err, r.stderr)
		}
		pairs := decodeClusterPairs(t, r.stdout)
		if len(pairs) != 1 || pairs[0].Spec.Options["ip"] != ip || pairs[0].Spec.Options["backuplocation"] != "west-east" {
			t.Fatalf("%s: want one pair pointing at %s using BackupLocation west-east:\n%s", side, ip, r.stdout)
		}
		for _, s := range []string{"kind: Secret\n", "kind: BackupLocation\n", "accessKeyID: " + base64.StdEncoding.EncodeToString([]byte("AKIA"+strings.Repeat("3", 16)))} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("%s side lacks %q", side, strings.TrimSpace(s))
			}
		}
	}
	if r := runTool(t, dir, demoKeyEnv(), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."); r.err == nil {
		t.Error("a bidirectional pair rendered without CLUSTERPAIR_SIDE")
	}
}

// TestNewBidirectionalFluxRendersEachSide: render.sh of a bidirectional
// flux layout commits each side, encrypted, in its own directory.
func TestNewBidirectionalFluxRendersEachSide(t *testing.T) {
	testenv.Tool(t, "kustomize")
	dir, _ := newBidirectional(t, "flux")
	if r := runTool(t, t.TempDir(), demoKeyEnv(), filepath.Join(dir, "render.sh")); r.err != nil {
		t.Fatalf("render.sh: %v\n%s", r.err, r.stderr)
	}
	for _, side := range []string{"source", "destination"} {
		data, err := os.ReadFile(filepath.Join(dir, "rendered", side, "clusterpair.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "kind: ClusterPair") || !strings.Contains(string(data), "kind: BackupLocation") || !strings.Contains(string(data), "ENC[AES256_GCM") {
			t.Errorf("rendered/%s/clusterpair.yaml is not the encrypted pair and object store:\n%s", side, data)
		}
	}
}
