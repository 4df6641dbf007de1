package argocd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// generateCommand reads cmp/plugin.yaml's generate command (command + args,
// as argocd-cmp-server joins them).
func generateCommand(t *testing.T) []string {
	t.Helper()
	p := readObject(t, example("cmp", "plugin.yaml"))
	if p["apiVersion"] != "argoproj.io/v1alpha1" || p["kind"] != "ConfigManagementPlugin" || get(p, "metadata", "name") != "clusterpair-fn" {
		t.Fatalf("cmp/plugin.yaml is not the clusterpair-fn ConfigManagementPlugin: %v", p)
	}
	if v := get(p, "spec", "version"); v != nil {
		t.Fatalf("spec.version %v would rename the plugin to clusterpair-fn-%v; the Applications name clusterpair-fn", v, v)
	}
	var cmd []string
	for _, field := range []string{"command", "args"} {
		list, _ := get(p, "spec", "generate", field).([]any)
		for _, a := range list {
			cmd = append(cmd, a.(string))
		}
	}
	if len(cmd) == 0 {
		t.Fatal("cmp/plugin.yaml has no generate command")
	}
	return cmd
}

// cmpEnv is the environment argocd-cmp-server gives the generate command:
// the sidecar's own (PATH of the image, the key variable) plus the build
// environment of the Application.
func cmpEnv(t *testing.T, path string, extra ...string) []string {
	t.Helper()
	env := testenv.IsolatedEnv(t.TempDir(), "PATH="+path,
		"ARGOCD_APP_NAME=clusterpair-dr-west", "ARGOCD_APP_NAMESPACE=argocd", "ARGOCD_APP_PROJECT_NAME=clusterpairs",
		"ARGOCD_APP_REVISION=0123456789abcdef0123456789abcdef01234567", "ARGOCD_APP_SOURCE_PATH=examples/argocd/pairs/dr-west",
		"ARGOCD_APP_SOURCE_REPO_URL=https://github.com/clusterpair-fn/clusterpair-fn.git", "KUBE_VERSION=1.34.0")
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PATH=") || kv == "PATH="+path {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// sidecarPath is a PATH holding exactly what the sidecar image holds:
// both builds of clusterpair-fn (from ./bin), and no kustomize.
func sidecarPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"clusterpair-fn", "clusterpair-fn-full"} {
		if err := os.Symlink(testenv.Tool(t, tool), filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runGenerate runs the plugin's generate command in dir as
// argocd-cmp-server does: no shell, the first word looked up on PATH, the
// working directory the Application's path.
func runGenerate(t *testing.T, dir string, env []string) result {
	t.Helper()
	cmd := generateCommand(t)
	var path string
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = p
		}
	}
	bin := filepath.Join(path, cmd[0])
	if _, err := os.Stat(bin); err != nil {
		// argocd-cmp-server fails the same way when the command is missing.
		return result{err: &exec.Error{Name: cmd[0], Err: exec.ErrNotFound}}
	}
	return run(dir, env, bin, cmd[1:]...)
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), filepath.Base(src))
	testenv.CopyDir(t, src, dir)
	return dir
}

func decodeClusterPairs(t *testing.T, stream string) []stork.ClusterPair {
	t.Helper()
	var pairs []stork.ClusterPair
	for _, doc := range strings.Split(stream, "\n---\n") {
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		var cp stork.ClusterPair
		strictErrs, err := sjson.UnmarshalStrict(js, &cp)
		if err != nil || len(strictErrs) > 0 {
			t.Fatalf("Stork could not decode the ClusterPair: %v %v\n%s", err, strictErrs, doc)
		}
		if cp.APIVersion != "stork.libopenstorage.org/v1alpha1" || cp.Kind != "ClusterPair" {
			t.Fatalf("the render holds a %s %s, want only ClusterPairs", cp.APIVersion, cp.Kind)
		}
		if err := transform.ConfirmUsable(&cp.Spec.Config); err != nil {
			t.Fatalf("Stork could not build a client from spec.config: %v", err)
		}
		pairs = append(pairs, cp)
	}
	return pairs
}

// pairEntry is one entry of a pair.yaml (one Application of the fleet).
type pairEntry struct {
	Side      string `json:"side"`
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
}

// readPairFile reads a pair.yaml: a list of entries, as the git files
// generator reads a file holding an array.
func readPairFile(t *testing.T, path string) []pairEntry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var entries []pairEntry
	if err := yaml.UnmarshalStrict(data, &entries); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(entries) == 0 {
		t.Fatalf("%s: no entries", path)
	}
	for _, e := range entries {
		if (e.Side != "source" && e.Side != "destination") || e.Cluster == "" || e.Namespace == "" {
			t.Fatalf("%s: entry %+v needs side (source or destination), cluster and namespace", path, e)
		}
	}
	return entries
}

// TestPluginGenerate runs the plugin's generate command on the kustomize
// example and on every side of every example pair, with the demo key and
// the side as Argo CD passes an Application's plugin env
// (ARGOCD_ENV_CLUSTERPAIR_SIDE): the output is exactly kustomize's render,
// one ClusterPair named after the request, in the namespace pair.yaml
// targets, pointing at the other cluster.
func TestPluginGenerate(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	if got := strings.Join(generateCommand(t), " "); got != "clusterpair-fn build --refuse-encrypted ." {
		t.Errorf("generate command = %q; the docs and the image assume `clusterpair-fn build --refuse-encrypted .`", got)
	}
	type target struct {
		src   string
		entry *pairEntry
	}
	targets := []target{{src: testenv.Path("examples", "kustomize")}}
	files, err := filepath.Glob(example("pairs", "*", "pair.yaml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("want at least two example pairs (a fleet), got %v %v", files, err)
	}
	sides := map[string]bool{}
	for _, f := range files {
		for _, e := range readPairFile(t, f) {
			targets = append(targets, target{src: filepath.Dir(f), entry: &e})
			sides[e.Side] = true
		}
	}
	if !sides["source"] || !sides["destination"] {
		t.Errorf("the example pairs should show both sides (a bidirectional pair), got %v", sides)
	}
	for _, tg := range targets {
		rel, _ := filepath.Rel(testenv.RepoRoot(), tg.src)
		name := rel
		var extra []string
		if tg.entry != nil {
			name += "/" + tg.entry.Side
			extra = append(extra, "ARGOCD_ENV_CLUSTERPAIR_SIDE="+tg.entry.Side)
		}
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, tg.src)
			env := cmpEnv(t, sidecarPath(t), append(extra, "SOPS_AGE_KEY_FILE="+testenv.DemoKeyFile())...)
			r := runGenerate(t, dir, env)
			if r.err != nil {
				t.Fatalf("generate: %v\n%s", r.err, r.stderr)
			}
			if r.stderr != "" {
				t.Errorf("unexpected stderr (Argo CD shows it in the UI): %s", r.stderr)
			}
			want := run(dir, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
			if want.err != nil || r.stdout != want.stdout {
				t.Errorf("generate output differs from kustomize's (%v)\n--- kustomize\n%s\n--- generate\n%s", want.err, want.stdout, r.stdout)
			}
			got := decodeClusterPairs(t, r.stdout)
			if len(got) != 1 {
				t.Fatalf("got %d ClusterPairs, want 1", len(got))
			}
			req := readObject(t, filepath.Join(tg.src, "clusterpair.yaml"))
			if got[0].Metadata.Name != get(req, "metadata", "name") || got[0].Metadata.Namespace != get(req, "metadata", "namespace") {
				t.Errorf("ClusterPair %s/%s, want the request's name and namespace", got[0].Metadata.Namespace, got[0].Metadata.Name)
			}
			if tg.entry == nil {
				return
			}
			if tg.entry.Namespace != got[0].Metadata.Namespace {
				t.Errorf("pair.yaml namespace %s, but the ClusterPair is in %s", tg.entry.Namespace, got[0].Metadata.Namespace)
			}
			// Each side's pair points at the other cluster.
			wantServer := get(req, "spec", "destination", "kubeconfig", "server")
			if tg.entry.Side == "destination" {
				wantServer = get(req, "spec", "reverse", "kubeconfig", "server")
			}
			cfg := got[0].Spec.Config
			if cluster := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]; cluster == nil || cluster.Server != wantServer {
				t.Errorf("the %s side's pair does not point at %v", tg.entry.Side, wantServer)
			}
		})
	}
}

// TestPluginGenerateFailsInsteadOfPrintingNothing: every way the function
// can fail to run makes the generate command fail with a message and an
// empty stdout, never succeed with an empty render that Argo CD would
// apply by pruning the live ClusterPair.
func TestPluginGenerateFailsInsteadOfPrintingNothing(t *testing.T) {
	key := "SOPS_AGE_KEY_FILE=" + testenv.DemoKeyFile()
	rewrite := func(file, old, new string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, file)
			data, _ := os.ReadFile(p)
			if !strings.Contains(string(data), old) {
				t.Fatalf("%s no longer holds %q; update this test", file, old)
			}
			if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name   string
		pair   string
		path   string
		env    []string
		edit   func(t *testing.T, dir string)
		stderr string
	}{
		{name: "no generator", path: sidecarPath(t), env: []string{key}, stderr: "lists no generators", edit: rewrite("kustomization.yaml", "generators:\n  - clusterpair.yaml\n", "")},
		{name: "generator file missing", path: sidecarPath(t), env: []string{key}, stderr: `"clusterpair.yaml": not found`, edit: func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "clusterpair.yaml")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a kustomize feature the plugin does not render", path: sidecarPath(t), env: []string{key}, stderr: "sets transformers", edit: rewrite("kustomization.yaml", "generators:", "transformers:\n  - t.yaml\ngenerators:")},
		{name: "no sops key", path: sidecarPath(t), stderr: "no usable decryption key"},
		{name: "bidirectional pair without a side", pair: "north-south", path: sidecarPath(t), env: []string{key}, stderr: "CLUSTERPAIR_SIDE"},
		{name: "request under resources", path: sidecarPath(t), env: []string{key}, stderr: "sets resources", edit: rewrite("kustomization.yaml", "generators:", "resources:")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pair := c.pair
			if pair == "" {
				pair = "dr-west"
			}
			dir := copyDir(t, example("pairs", pair))
			if c.edit != nil {
				c.edit(t, dir)
			}
			r := runGenerate(t, dir, cmpEnv(t, c.path, c.env...))
			if r.err == nil {
				t.Fatalf("generate succeeded; want a failure\n%s", r.stdout)
			}
			if r.stdout != "" {
				t.Errorf("a failed generate printed:\n%s", r.stdout)
			}
			if !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, r.stderr)
			}
		})
	}

	t.Run("generate command not on PATH", func(t *testing.T) {
		r := runGenerate(t, copyDir(t, example("pairs", "dr-west")), cmpEnv(t, t.TempDir(), key))
		if r.err == nil || r.stdout != "" {
			t.Fatalf("err=%v stdout=%q", r.err, r.stdout)
		}
	})
}
