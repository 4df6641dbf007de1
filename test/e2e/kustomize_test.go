package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestKustomizeExample renders examples/kustomize exactly as the README's
// `make demo` does and compares it with the committed expectation.
func TestKustomizeExample(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	testenv.Tool(t, "clusterpair-fn")
	dir := copyExample(t, "kustomize")
	r := runTool(t, dir, demoKeyEnv(), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if r.err != nil {
		t.Fatalf("kustomize build: %v\n%s", r.err, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("unexpected stderr: %s", r.stderr)
	}
	pairs := decodeClusterPairs(t, r.stdout)
	if len(pairs) != 1 {
		t.Fatalf("got %d ClusterPairs, want 1:\n%s", len(pairs), r.stdout)
	}
	if strings.Contains(r.stdout, "ClusterPairRequest") {
		t.Errorf("the local-config request leaked into the build output")
	}
	testenv.CompareGolden(t, testenv.Path("testdata", "e2e", "kustomize-example.yaml"), r.stdout)

	again := runTool(t, dir, demoKeyEnv(), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if again.stdout != r.stdout {
		t.Errorf("a second build differs from the first")
	}
}

// TestKustomizeOverlay builds an overlay on the example from another
// directory: the generator runs in the base's directory and the overlay's
// namespace and labels apply to the generated pair.
func TestKustomizeOverlay(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	root := t.TempDir()
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), filepath.Join(root, "base"))
	overlay := filepath.Join(root, "overlays", "prod")
	if err := os.MkdirAll(overlay, 0o755); err != nil {
		t.Fatal(err)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nnamespace: prod-apps\nlabels:\n  - pairs:\n      team: storage\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runTool(t, t.TempDir(), demoKeyEnv(), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", overlay)
	if r.err != nil {
		t.Fatalf("kustomize build: %v\n%s", r.err, r.stderr)
	}
	pairs := decodeClusterPairs(t, r.stdout)
	if len(pairs) != 1 || pairs[0].Metadata.Namespace != "prod-apps" || pairs[0].Metadata.Labels["team"] != "storage" {
		t.Fatalf("overlay not applied:\n%s", r.stdout)
	}
}

// TestKustomizeFailuresFailTheBuild checks that an error stops kustomize with
// a readable message and no output, and never leaks a secret.
func TestKustomizeFailuresFailTheBuild(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	cases := []struct {
		name   string
		env    []string
		edit   func(t *testing.T, dir string)
		stderr string
	}{
		{name: "no key", stderr: `spec.destination.kubeconfig.file: file "destination-kubeconfig.yaml": no usable decryption key`},
		{name: "wrong key", env: []string{"SOPS_AGE_KEY_FILE=" + testenv.OtherKeyFile()}, stderr: "no usable decryption key"},
		{name: "tampered token", env: demoKeyEnv(), edit: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "px-token.enc")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			// Flip one character of the ciphertext.
			i := strings.Index(string(data), "ENC[AES256_GCM,data:") + len("ENC[AES256_GCM,data:")
			b := []byte(string(data))
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, stderr: `spec.storage.token.file: file "px-token.enc": integrity check failed`},
		{name: "typo in request", env: demoKeyEnv(), edit: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "clusterpair.yaml")
			data, _ := os.ReadFile(p)
			if err := os.WriteFile(p, []byte(strings.Replace(string(data), "  storage:", "  storge:", 1)), 0o644); err != nil {
				t.Fatal(err)
			}
		}, stderr: `spec.storge: unknown field "storge" (did you mean "storage"?)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyExample(t, "kustomize")
			if c.edit != nil {
				c.edit(t, dir)
			}
			r := runTool(t, dir, c.env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
			if r.err == nil {
				t.Fatalf("kustomize build succeeded; want failure\n%s", r.stdout)
			}
			if r.stdout != "" {
				t.Errorf("failed build printed output:\n%s", r.stdout)
			}
			if !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, r.stderr)
			}
			if strings.Contains(r.stderr, "px-") && strings.Contains(r.stderr, "token: ") {
				t.Errorf("stderr may contain the token:\n%s", r.stderr)
			}
		})
	}
}

// TestKustomizeSkipsExecSilentlyWithoutEnableExec pins the kustomize
// behaviour the README warns about: without --enable-exec the function does
// not run and the build "succeeds" with no ClusterPair.
func TestKustomizeSkipsExecSilentlyWithoutEnableExec(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	dir := copyExample(t, "kustomize")
	r := runTool(t, dir, demoKeyEnv(), kustomize, "build", "--enable-alpha-plugins", ".")
	if r.err != nil || strings.Contains(r.stdout, "ClusterPair") {
		t.Fatalf("kustomize behaviour changed (err=%v): update the README's troubleshooting section\n%s%s", r.err, r.stdout, r.stderr)
	}
}

// TestAgeKeygenFromMakeTools: `make tools` installs age-keygen, and the
// README's walkthrough line (mkdir -p ~/.config/sops/age && age-keygen -o
// ~/.config/sops/age/keys.txt) writes a key on a machine that has no such
// directory yet.
func TestAgeKeygenFromMakeTools(t *testing.T) {
	keygen := testenv.Tool(t, "age-keygen")
	home := t.TempDir()
	keys := filepath.Join(home, ".config", "sops", "age", "keys.txt")
	if err := os.MkdirAll(filepath.Dir(keys), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(keygen, "-o", keys).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	data, err := os.ReadFile(keys)
	if err != nil || !strings.Contains(string(data), "AGE-SECRET-KEY-1") {
		t.Fatalf("no key written: %v", err)
	}
}
