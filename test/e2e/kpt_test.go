package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// kptPackage copies examples/kpt into parent/pkg and returns parent.
func kptPackage(t *testing.T) (parent, pkg string) {
	t.Helper()
	parent = t.TempDir()
	pkg = filepath.Join(parent, "pkg")
	testenv.CopyDir(t, testenv.Path("examples", "kpt"), pkg)
	return parent, pkg
}

// snapshot returns every file of a directory tree by relative path.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffSnapshots(a, b map[string]string) []string {
	var diffs []string
	for k, v := range a {
		if b[k] != v {
			diffs = append(diffs, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, k+" (new)")
		}
	}
	return diffs
}

// exampleSecrets decrypts the example's inputs and returns the values that
// must never appear in plaintext in the package.
func exampleSecrets(t *testing.T, dir string) []string {
	t.Helper()
	t.Setenv("SOPS_AGE_KEY_FILE", testenv.DemoKeyFile())
	root, err := secrets.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	res := secrets.NewResolver(root, testsops.NewDecryptor())
	tok, err := res.Resolve(secrets.Ref{File: "px-token.enc"})
	if err != nil {
		t.Fatal(err)
	}
	kc, err := res.Resolve(secrets.Ref{File: "destination-kubeconfig.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(kc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	out := []string{strings.TrimSpace(tok.Reveal())}
	for _, u := range cfg.AuthInfos {
		for _, line := range strings.Split(string(u.ClientKeyData), "\n") {
			if len(line) > 40 {
				out = append(out, line)
			}
		}
		if u.Token != "" {
			out = append(out, u.Token)
		}
	}
	return out
}

func assertNoPlaintext(t *testing.T, files map[string]string, values []string) {
	t.Helper()
	for name, content := range files {
		for _, v := range values {
			if strings.Contains(content, v) {
				t.Errorf("%s contains a plaintext credential", name)
			}
		}
	}
}

// TestKptRenderFromAnotherDirectory renders the example package from its
// parent directory (kpt runs exec functions in its own cwd): the committed
// package is already rendered, so nothing may change, twice.
func TestKptRenderFromAnotherDirectory(t *testing.T) {
	kpt := testenv.Tool(t, "kpt")
	testenv.Tool(t, "clusterpair-fn")
	parent, pkg := kptPackage(t)
	before := snapshot(t, pkg)
	for i := 0; i < 2; i++ {
		r := runTool(t, parent, demoKeyEnv(), kpt, "fn", "render", "pkg", "--allow-exec")
		if r.err != nil {
			t.Fatalf("render %d: %v\n%s%s", i, r.err, r.stdout, r.stderr)
		}
		if d := diffSnapshots(before, snapshot(t, pkg)); len(d) > 0 {
			t.Fatalf("render %d changed %v", i, d)
		}
	}
	assertNoPlaintext(t, snapshot(t, pkg), exampleSecrets(t, filepath.Join(testenv.RepoRoot(), "examples", "kustomize")))
}

// TestKptRenderReencryptsOnChange changes the request: the output changes
// once, decrypts to the new value, and a second render is a no-op.
func TestKptRenderReencryptsOnChange(t *testing.T) {
	kpt := testenv.Tool(t, "kpt")
	parent, pkg := kptPackage(t)
	req := filepath.Join(pkg, "clusterpair.yaml")
	data, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(req, []byte(strings.Replace(string(data), "ip: px-api.west.example.com", "ip: px-api-2.west.example.com", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	oldPair := snapshot(t, pkg)["clusterpair_dr-west.yaml"]
	r := runTool(t, parent, demoKeyEnv(), kpt, "fn", "render", "pkg", "--allow-exec")
	if r.err != nil {
		t.Fatalf("render: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	after := snapshot(t, pkg)
	newPair := after["clusterpair_dr-west.yaml"]
	if newPair == oldPair {
		t.Fatal("changing the request did not change the encrypted output")
	}
	t.Setenv("SOPS_AGE_KEY_FILE", testenv.DemoKeyFile())
	doc, err := testsops.NewDecryptor().Decrypt("clusterpair_dr-west.yaml", []byte(newPair), secrets.FormatYAML)
	if err != nil {
		t.Fatalf("rendered output does not decrypt: %v", err)
	}
	plain, err := doc.Lookup("clusterpair_dr-west.yaml", "spec.options.ip")
	if err != nil || plain.Reveal() != "px-api-2.west.example.com" {
		t.Fatalf("decrypted ip = %v (%v)", plain, err)
	}
	r = runTool(t, parent, demoKeyEnv(), kpt, "fn", "render", "pkg", "--allow-exec")
	if r.err != nil {
		t.Fatalf("second render: %v\n%s", r.err, r.stderr)
	}
	if d := diffSnapshots(after, snapshot(t, pkg)); len(d) > 0 {
		t.Fatalf("second render changed %v", d)
	}
}

// TestKptRenderRefusesPlaintext removes output.encrypt: the render must fail
// and leave the package untouched.
func TestKptRenderRefusesPlaintext(t *testing.T) {
	kpt := testenv.Tool(t, "kpt")
	parent, pkg := kptPackage(t)
	req := filepath.Join(pkg, "clusterpair.yaml")
	data, _ := os.ReadFile(req)
	text := string(data)
	i := strings.Index(text, "  output:\n")
	if i < 0 {
		t.Fatal("example has no output section")
	}
	if err := os.WriteFile(req, []byte(text[:i]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(pkg, "clusterpair_dr-west.yaml")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, pkg)
	r := runTool(t, parent, demoKeyEnv(), kpt, "fn", "render", "pkg", "--allow-exec")
	if r.err == nil {
		t.Fatal("render succeeded without output.encrypt")
	}
	if !strings.Contains(r.stderr+r.stdout, "spec.output.encrypt") {
		t.Errorf("the failure does not explain itself:\n%s%s", r.stdout, r.stderr)
	}
	if d := diffSnapshots(before, snapshot(t, pkg)); len(d) > 0 {
		t.Fatalf("a failed render changed %v", d)
	}
}

// TestKptEval runs kpt fn eval from inside the package and from its parent
// (with --root), printing the result instead of writing it.
func TestKptEval(t *testing.T) {
	kpt := testenv.Tool(t, "kpt")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	parent, pkg := kptPackage(t)
	inside := runTool(t, pkg, demoKeyEnv(), kpt, "fn", "eval", ".", "--exec", fnBin, "--fn-config", "clusterpair.yaml", "-o", "unwrap")
	if inside.err != nil {
		t.Fatalf("eval inside: %v\n%s", inside.err, inside.stderr)
	}
	outside := runTool(t, parent, demoKeyEnv(), kpt, "fn", "eval", "pkg", "--exec", fnBin+" --root pkg", "--fn-config", "pkg/clusterpair.yaml", "-o", "unwrap")
	if outside.err != nil {
		t.Fatalf("eval from the parent: %v\n%s", outside.err, outside.stderr)
	}
	if inside.stdout != outside.stdout {
		t.Errorf("eval output depends on the working directory\n--- inside\n%s\n--- outside\n%s", inside.stdout, outside.stdout)
	}
	if !strings.Contains(inside.stdout, "kind: ClusterPair\n") || !strings.Contains(inside.stdout, "mac_only_encrypted: true") {
		t.Errorf("eval output lacks the encrypted pair:\n%s", inside.stdout)
	}
	withoutRoot := runTool(t, parent, demoKeyEnv(), kpt, "fn", "eval", "pkg", "--exec", fnBin, "--fn-config", "pkg/clusterpair.yaml", "-o", "unwrap")
	if withoutRoot.err == nil || !strings.Contains(withoutRoot.stderr, "not found") {
		t.Errorf("eval from elsewhere without --root must fail naming the missing file:\n%s", withoutRoot.stderr)
	}
}
