//go:build container

package e2e

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// These tests run the Argo CD plugin sidecar image (Dockerfile.argocd) for
// real. `make test-container` builds it (make image-argocd-cmp) and sets
// CLUSTERPAIR_FN_ARGOCD_CMP_IMAGE.

func argocdImage(t *testing.T) string {
	t.Helper()
	return imageFromEnv(t, "CLUSTERPAIR_FN_ARGOCD_CMP_IMAGE")
}

// pluginGenerate reads examples/argocd/cmp/plugin.yaml's generate command.
func pluginGenerate(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(testenv.Path("examples", "argocd", "cmp", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Spec struct {
			Generate struct {
				Command []string `json:"command"`
				Args    []string `json:"args"`
			} `json:"generate"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	cmd := append(p.Spec.Generate.Command, p.Spec.Generate.Args...)
	if len(cmd) == 0 {
		t.Fatal("plugin.yaml has no generate command")
	}
	return cmd
}

// keyDir holds the demo key as keys.txt, readable by the image's UID 999,
// as the sidecar's Secret volume does.
func keyDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "age")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(testenv.DemoKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys.txt"), data, 0o444); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runSidecar runs the plugin's generate command in the image as the sidecar
// would: the Application's directory (read-only) as the working directory,
// a read-only root with /tmp as tmpfs, the key from a read-only mount via
// SOPS_AGE_KEY_FILE, no network, no capabilities, the image's own user.
func runSidecar(t *testing.T, img, src, keys string, env ...string) result {
	t.Helper()
	cmd := pluginGenerate(t)
	args := []string{"run", "--rm", "--read-only", "--tmpfs", "/tmp", "--network", "none", "--cap-drop", "ALL",
		"--security-opt", "no-new-privileges",
		"--mount", "type=bind,src=" + src + ",dst=/src,readonly", "-w", "/src"}
	if keys != "" {
		args = append(args, "--mount", "type=bind,src="+keys+",dst=/sops/age,readonly", "-e", "SOPS_AGE_KEY_FILE=/sops/age/keys.txt")
	}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, "--entrypoint", cmd[0], img)
	args = append(args, cmd[1:]...)
	return runTool(t, t.TempDir(), nil, "docker", args...)
}

// TestContainerArgoCDPluginGenerate renders every side of every example
// pair with the sidecar image and compares it with the exec render on the
// host, byte for byte.
func TestContainerArgoCDPluginGenerate(t *testing.T) {
	img := argocdImage(t)
	kustomize := testenv.Tool(t, "kustomize")
	testenv.Tool(t, "clusterpair-fn")
	keys := keyDir(t)
	files, err := filepath.Glob(testenv.Path("examples", "argocd", "pairs", "*", "pair.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example pairs: %v", err)
	}
	ran := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var entries []struct{ Side string }
		if err := yaml.Unmarshal(data, &entries); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pair := filepath.Base(filepath.Dir(f))
		for _, e := range entries {
			t.Run(pair+"/"+e.Side, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), pair)
				testenv.CopyDir(t, filepath.Dir(f), dir)
				side := "ARGOCD_ENV_CLUSTERPAIR_SIDE=" + e.Side
				want := runTool(t, dir, append(demoKeyEnv(), side), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
				if want.err != nil {
					t.Fatalf("exec render: %v\n%s", want.err, want.stderr)
				}
				got := runSidecar(t, img, dir, keys, side)
				if got.err != nil {
					t.Fatalf("sidecar generate: %v\n%s", got.err, got.stderr)
				}
				if got.stdout != want.stdout {
					t.Errorf("sidecar output differs from the exec render\n--- exec\n%s\n--- sidecar\n%s", want.stdout, got.stdout)
				}
				if pairs := decodeClusterPairs(t, got.stdout); len(pairs) != 1 {
					t.Errorf("got %d ClusterPairs, want 1", len(pairs))
				}
				ran++
			})
		}
	}
	if ran < 2 {
		t.Errorf("only %d renders ran", ran)
	}
}

// TestContainerArgoCDPluginFailures: in the image too, a failed render is
// an error with a message and an empty stdout.
func TestContainerArgoCDPluginFailures(t *testing.T) {
	img := argocdImage(t)
	keys := keyDir(t)
	cases := []struct {
		name   string
		keys   string
		edit   string
		stderr string
	}{
		{name: "no key", stderr: "no usable decryption key"},
		{name: "request under resources", keys: keys, edit: "resources:\n  - clusterpair.yaml\n", stderr: "kustomization.yaml sets resources"},
		{name: "generator removed", keys: keys, edit: "generators: []\nnamespace: app\n", stderr: "kustomization.yaml sets namespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "dr-west")
			testenv.CopyDir(t, testenv.Path("examples", "argocd", "pairs", "dr-west"), dir)
			if c.edit != "" {
				p := filepath.Join(dir, "kustomization.yaml")
				data, _ := os.ReadFile(p)
				const gen = "generators:\n  - clusterpair.yaml\n"
				if !strings.Contains(string(data), gen) {
					t.Fatal("example kustomization changed; update this test")
				}
				if err := os.WriteFile(p, []byte(strings.Replace(string(data), gen, c.edit, 1)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := runSidecar(t, img, dir, c.keys)
			if r.err == nil || r.stdout != "" || !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("want a failure naming %q and no output; err=%v\nstdout:%s\nstderr:%s", c.stderr, r.err, r.stdout, r.stderr)
			}
		})
	}
}

// TestContainerArgoCDImage checks what the sidecar relies on: UID 999,
// the plugin's plugin.yaml where argocd-cmp-server reads it, and nothing
// a repository could make it run: no kustomize, no shell.
func TestContainerArgoCDImage(t *testing.T) {
	img := argocdImage(t)
	dir := t.TempDir()
	if who := runTool(t, dir, nil, "docker", "image", "inspect", "--format", "{{.Config.User}}", img); strings.TrimSpace(who.stdout) != "999:999" {
		t.Errorf("image user = %q, want 999:999 (Argo CD's plugin convention)", who.stdout)
	}
	for _, prog := range []string{"kustomize", "sh", "helm", "git"} {
		if r := runTool(t, dir, nil, "docker", "run", "--rm", "--read-only", "--network", "none", "--entrypoint", prog, img, "version"); r.err == nil {
			t.Errorf("the image runs %s; it should hold only clusterpair-fn", prog)
		}
	}

	created := runTool(t, dir, nil, "docker", "create", img)
	if created.err != nil {
		t.Fatalf("docker create: %v\n%s", created.err, created.stderr)
	}
	id := strings.TrimSpace(created.stdout)
	defer runTool(t, dir, nil, "docker", "rm", id)
	cp := runTool(t, dir, nil, "docker", "cp", id+":/home/argocd/cmp-server/config/plugin.yaml", "-")
	if cp.err != nil {
		t.Fatalf("plugin.yaml not in the image: %v\n%s", cp.err, cp.stderr)
	}
	tr := tar.NewReader(strings.NewReader(cp.stdout))
	var baked []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "plugin.yaml" {
			baked, _ = io.ReadAll(tr)
		}
	}
	want, err := os.ReadFile(testenv.Path("examples", "argocd", "cmp", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(baked, want) {
		t.Errorf("the image's plugin.yaml differs from examples/argocd/cmp/plugin.yaml:\n%s", baked)
	}
}
