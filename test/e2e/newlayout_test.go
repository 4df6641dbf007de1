package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
)

// newInputs writes a kubeconfig (bearer token, the CA of a fresh test PKI)
// and a Portworx token file, and returns them with the secret values.
func newInputs(t *testing.T) (kubeconfig, tokenFile string, secretValues []string) {
	t.Helper()
	dir := t.TempDir()
	ca := testpki.NewCA(t, "layout-ca")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["west"] = &clientcmdapi.Cluster{Server: "https://api.west.example.com:6443", CertificateAuthorityData: ca.CertPEM}
	cfg.AuthInfos["west-admin"] = &clientcmdapi.AuthInfo{Token: "kube-token-" + strings.Repeat("5", 32)}
	cfg.Contexts["west"] = &clientcmdapi.Context{Cluster: "west", AuthInfo: "west-admin"}
	cfg.CurrentContext = "west"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig = filepath.Join(dir, "config")
	tokenFile = filepath.Join(dir, "px-token")
	pxToken := "px-token-" + strings.Repeat("9", 32)
	if err := os.WriteFile(kubeconfig, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(pxToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig, tokenFile, []string{"kube-token-" + strings.Repeat("5", 32), pxToken}
}

// runNew runs the lean clusterpair-fn new (handed over to the full build)
// in dir with the demo key's recipient.
func runNew(t *testing.T, dir string, args ...string) result {
	t.Helper()
	kubeconfig, tokenFile, _ := newInputs(t)
	base := []string{"new", "dr-west", "-n", "app", "--kubeconfig", kubeconfig, "--px-endpoint", "px-api.west.example.com",
		"--token-file", tokenFile, "--age", testenv.Recipient(t, testenv.DemoKeyFile())}
	return runTool(t, dir, demoKeyEnv(), testenv.Tool(t, "clusterpair-fn"), append(base, args...)...)
}

func assertNoValues(t *testing.T, files map[string]string, values []string) {
	t.Helper()
	for name, content := range files {
		for _, v := range values {
			if strings.Contains(content, v) {
				t.Errorf("%s holds a plaintext secret", name)
			}
		}
	}
}

// TestNewKptLayoutRendersFromAnotherDirectory: the package `new --layout
// kpt` writes renders with kpt fn render run from its parent directory,
// encrypted, and a second render changes nothing.
func TestNewKptLayoutRendersFromAnotherDirectory(t *testing.T) {
	kpt := testenv.Tool(t, "kpt")
	parent := t.TempDir()
	_, _, secretValues := newInputs(t)
	r := runNew(t, parent, "--layout", "kpt", "--dir", "dr-west")
	if r.err != nil {
		t.Fatalf("new --layout kpt: %v\n%s", r.err, r.stderr)
	}
	pkg := filepath.Join(parent, "dr-west")
	r = runTool(t, parent, demoKeyEnv(), kpt, "fn", "render", "dr-west", "--allow-exec")
	if r.err != nil {
		t.Fatalf("kpt fn render: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	first := snapshot(t, pkg)
	var rendered string
	for name, content := range first {
		if strings.Contains(content, "kind: ClusterPair\n") {
			rendered = name
		}
	}
	if rendered == "" {
		t.Fatalf("no rendered ClusterPair in %v", keys(first))
	}
	if c := first[rendered]; !strings.Contains(c, "ENC[AES256_GCM") || !strings.Contains(c, "sops:") {
		t.Errorf("%s is not encrypted:\n%s", rendered, c)
	}
	assertNoValues(t, first, secretValues)
	r = runTool(t, parent, demoKeyEnv(), kpt, "fn", "render", "dr-west", "--allow-exec")
	if r.err != nil {
		t.Fatalf("second kpt fn render: %v\n%s", r.err, r.stderr)
	}
	if d := diffSnapshots(first, snapshot(t, pkg)); len(d) > 0 {
		t.Errorf("the second render changed %v", d)
	}
}

// TestNewFluxLayoutRendersWithItsScript: render.sh of `new --layout flux`
// writes rendered/clusterpair.yaml encrypted, and an unchanged second run
// keeps it byte for byte.
func TestNewFluxLayoutRendersWithItsScript(t *testing.T) {
	testenv.Tool(t, "kustomize")
	parent := t.TempDir()
	r := runNew(t, parent, "--layout", "flux", "--dir", "dr-west")
	if r.err != nil {
		t.Fatalf("new --layout flux: %v\n%s", r.err, r.stderr)
	}
	script := filepath.Join(parent, "dr-west", "render.sh")
	out := filepath.Join(parent, "dr-west", "rendered", "clusterpair.yaml")
	var first []byte
	for i := 0; i < 2; i++ {
		r = runTool(t, t.TempDir(), demoKeyEnv(), script)
		if r.err != nil {
			t.Fatalf("render.sh run %d: %v\n%s", i, r.err, r.stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "kind: ClusterPair") || !strings.Contains(string(data), "ENC[AES256_GCM") {
			t.Fatalf("rendered/clusterpair.yaml is not an encrypted ClusterPair:\n%s", data)
		}
		if i == 1 && string(data) != string(first) {
			t.Error("an unchanged render changed the committed ciphertext")
		}
		first = data
	}
}

// TestNewDryRunWritesNothingE2E: new --dry-run lists the files and writes
// nothing, for every layout.
func TestNewDryRunWritesNothingE2E(t *testing.T) {
	for _, layout := range []string{"kustomize", "kpt", "flux"} {
		parent := t.TempDir()
		r := runNew(t, parent, "--layout", layout, "--dry-run")
		if r.err != nil || !strings.Contains(r.stdout, "--dry-run: nothing was written") {
			t.Fatalf("new --dry-run --layout %s: %v\n%s%s", layout, r.err, r.stdout, r.stderr)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 0 {
			t.Errorf("--dry-run --layout %s wrote %v", layout, entries)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
