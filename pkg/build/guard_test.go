package build_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
)

// fnConfig is a generator/transformer/validator config declaring function fn.
func fnConfig(kind, name, fn string) string {
	return "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: " + kind + "\nmetadata:\n  name: " + name +
		"\n  annotations:\n    config.kubernetes.io/function: |\n" + indent(fn, "      ") + "spec: {}\n"
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

const (
	okFn  = "exec:\n  path: clusterpair-fn\n"
	pwnFn = "exec:\n  path: ./pwn.sh\n"
	kHead = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
	cHead = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
)

var (
	okReq  = fnConfig("ClusterPairRequest", "dr-west", okFn)
	pwnReq = fnConfig("ClusterPairRequest", "pwn", pwnFn)
)

// writeTree writes files (path -> content) under root; a content starting
// with "symlink:" makes a symlink to the rest.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "symlink:"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// trustedDir makes a directory holding a kustomization that Guard accepts,
// also under pairs/dr-west, and makes it the working directory.
func trustedDir(t *testing.T) {
	t.Helper()
	root := t.TempDir()
	k := kHead + "generators:\n  - clusterpair.yaml\n"
	writeTree(t, root, map[string]string{
		"kustomization.yaml": k, "clusterpair.yaml": okReq,
		"pairs/dr-west/kustomization.yaml": k, "pairs/dr-west/clusterpair.yaml": okReq,
	})
	t.Chdir(root)
}

// TestGuardAcceptsTheExamples checks the shapes the project documents.
func TestGuardAcceptsTheExamples(t *testing.T) {
	for _, dir := range []string{
		"examples/kustomize", "examples/bidirectional",
		"examples/argocd/pairs/dr-west", "examples/argocd/pairs/north-south", "examples/flux/pair",
	} {
		t.Run(dir, func(t *testing.T) {
			if err := build.Guard(testenv.Path(strings.Split(dir, "/")...)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGuard(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"kustomization.yaml": kHead + "generators:\n  - pwn.yaml\n", "pwn.yaml": pwnReq})
	cases := []struct {
		name  string
		files map[string]string
		dir   string   // the DIR given to Guard, relative to the tree; "" is its root
		want  []string // substrings of the error; nil means accepted
	}{
		// Accepted shapes.
		{name: "generator", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - cp.yaml\n", "cp.yaml": okReq}},
		{name: "kustomization.yml", files: map[string]string{"kustomization.yml": kHead + "generators:\n  - cp.yaml\n", "cp.yaml": okReq}},
		{name: "Kustomization", files: map[string]string{"Kustomization": kHead + "generators:\n  - cp.yaml\n", "cp.yaml": okReq}},
		{name: "old annotation key", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - cp.yaml\n",
			"cp.yaml": strings.Replace(okReq, "config.kubernetes.io/function", "config.k8s.io/function", 1)}},
		{name: "several documents", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - cp.yaml\n",
			"cp.yaml": okReq + "---\n" + strings.Replace(okReq, "dr-west", "dr-east", 1)}},
		{name: "inline generator", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - |\n" + indent(okReq, "    ")}},
		{name: "builtin transformer without function", files: map[string]string{
			"kustomization.yaml": kHead + "transformers:\n  - labels.yaml\n",
			"labels.yaml":        "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: l}\nlabels: {a: b}\nfieldSpecs: [{path: metadata/labels, create: true}]\n"}},
		{name: "overlay with base and component", files: map[string]string{
			"base/kustomization.yaml": kHead + "generators:\n  - cp.yaml\n", "base/cp.yaml": okReq,
			"comp/kustomization.yaml": cHead + "transformers:\n  - t.yaml\n", "comp/t.yaml": fnConfig("Tweak", "t", okFn),
			"kustomization.yaml": kHead + "resources:\n  - ./base/\n  - cm.yaml\ncomponents:\n  - comp\n",
			"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}},
		{name: "legacy bases", dir: "o", files: map[string]string{"o/kustomization.yaml": kHead + "bases:\n  - b\n",
			"o/b/kustomization.yaml": kHead + "generators:\n  - cp.yaml\n", "o/b/cp.yaml": okReq}},
		{name: "a cycle terminates", files: map[string]string{"kustomization.yaml": kHead + "resources:\n  - a\n",
			"a/kustomization.yaml": kHead + "resources:\n  - ..\n"}},
		{name: "symlink inside", files: map[string]string{"kustomization.yaml": kHead + "resources:\n  - link\n",
			"real/kustomization.yaml": kHead + "generators:\n  - cp.yaml\n", "real/cp.yaml": okReq, "link": "symlink:real"}},

		// Functions other than clusterpair-fn.
		{name: "exec pwn.sh", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - pwn.yaml\n", "pwn.yaml": pwnReq},
			want: []string{"pwn.yaml: generators[0] (from", "kustomization.yaml)", `ClusterPairRequest "pwn" names exec path "./pwn.sh"`}},
		{name: "exec ./clusterpair-fn", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": fnConfig("X", "x", "exec:\n  path: ./clusterpair-fn\n")}, want: []string{`exec path "./clusterpair-fn"`}},
		{name: "exec absolute clusterpair-fn", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": fnConfig("X", "x", "exec:\n  path: /usr/local/bin/clusterpair-fn\n")}, want: []string{`exec path "/usr/local/bin/clusterpair-fn"`}},
		{name: "exec with args", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": fnConfig("X", "x", "exec:\n  path: clusterpair-fn\n  args: [check]\n")}, want: []string{"args or envs"}},
		{name: "exec with envs", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": fnConfig("X", "x", "exec:\n  path: clusterpair-fn\n  envs: [SOPS_AGE_KEY]\n")}, want: []string{"args or envs"}},
		{name: "container with envs", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": fnConfig("X", "x", "container:\n  image: evil/leak\n  envs: [SOPS_AGE_KEY, VAULT_TOKEN]\n")}, want: []string{`names container "evil/leak"`}},
		{name: "container and exec", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": fnConfig("X", "x", "container:\n  image: evil/leak\nexec:\n  path: clusterpair-fn\n")}, want: []string{`names container "evil/leak"`}},
		{name: "starlark", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": fnConfig("X", "x", "starlark:\n  path: s.star\n")}, want: []string{`"x"`, "cannot be parsed"}},
		{name: "unknown field next to exec", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": fnConfig("X", "x", "exec:\n  path: clusterpair-fn\n  workingDir: /\n")}, want: []string{"cannot be parsed"}},
		{name: "old annotation key with pwn", files: map[string]string{"kustomization.yaml": kHead + "validators:\n  - g.yaml\n",
			"g.yaml": strings.Replace(pwnReq, "config.kubernetes.io/function", "config.k8s.io/function", 1)}, want: []string{"validators[0]", `"./pwn.sh"`}},
		{name: "both annotation keys, second pwn", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": strings.Replace(okReq, "  annotations:\n", "  annotations:\n    config.k8s.io/function: \"exec: {path: ./pwn.sh}\"\n", 1)},
			want: []string{"metadata.annotations[config.k8s.io/function]", "not exactly"}},
		{name: "legacy container annotation", files: map[string]string{"kustomization.yaml": kHead + "transformers:\n  - g.yaml\n",
			"g.yaml": "apiVersion: v1\nkind: X\nmetadata:\n  name: x\n  annotations:\n    config.kubernetes.io/container: evil/leak\n"},
			want: []string{"transformers[0]", "config.kubernetes.io/container", `"evil/leak"`}},
		{name: "legacy configFn", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": "apiVersion: v1\nkind: X\nmetadata:\n  name: x\n  configFn:\n    exec:\n      path: ./pwn.sh\n"}, want: []string{`"./pwn.sh"`}},
		{name: "transformer", files: map[string]string{"kustomization.yaml": kHead + "transformers:\n  - pwn.yaml\n", "pwn.yaml": pwnReq},
			want: []string{"transformers[0]"}},
		{name: "validator", files: map[string]string{"kustomization.yaml": kHead + "validators:\n  - pwn.yaml\n", "pwn.yaml": pwnReq},
			want: []string{"validators[0]"}},
		{name: "second document", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n", "g.yaml": okReq + "---\n" + pwnReq},
			want: []string{"document 2", `"./pwn.sh"`}},
		{name: "List item", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": "apiVersion: v1\nkind: List\nitems:\n- " + strings.TrimPrefix(indent(pwnReq, "  "), "  ")},
			want: []string{"items[0]", `"./pwn.sh"`}},
		{name: "inline generator", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - |\n" + indent(pwnReq, "    ")},
			want: []string{"generators[0] (inline)", `"./pwn.sh"`}},
		{name: "inline flow mapping on one line", files: map[string]string{"kustomization.yaml": kHead +
			"generators:\n  - '{apiVersion: v1, kind: X, metadata: {name: x, annotations: {config.kubernetes.io/function: \"exec: {path: ./pwn.sh}\"}}}'\n"},
			want: []string{"generators[0] (inline)", `"./pwn.sh"`}},
		{name: "in a resource directory", files: map[string]string{"kustomization.yaml": kHead + "resources:\n  - sub\n",
			"sub/kustomization.yaml": kHead + "generators:\n  - pwn.yaml\n", "sub/pwn.yaml": pwnReq}, want: []string{"sub/kustomization.yaml", `"./pwn.sh"`}},
		{name: "in a component", files: map[string]string{"kustomization.yaml": kHead + "components:\n  - c\n",
			"c/kustomization.yaml": cHead + "transformers:\n  - pwn.yaml\n", "c/pwn.yaml": pwnReq}, want: []string{"c/kustomization.yaml", "transformers[0]"}},

		// What cannot be inspected.
		{name: "remote resource URL", files: map[string]string{"kustomization.yaml": kHead + "resources:\n  - https://github.com/evil/repo//base?ref=v1\n"},
			want: []string{"resources[0]", "remote", "vendor it"}},
		{name: "remote resource git shorthand", files: map[string]string{"kustomization.yaml": kHead + "resources:\n  - github.com/evil/repo/base\n"},
			want: []string{"resources[0]", "remote"}},
		{name: "remote component ssh", files: map[string]string{"kustomization.yaml": kHead + "components:\n  - git@github.com:evil/repo.git/c\n"},
			want: []string{"components[0]", "remote"}},
		{name: "remote generator", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - https://example.com/pwn.yaml\n"},
			want: []string{"generators[0]", "remote"}},
		{name: "missing resource", files: map[string]string{"kustomization.yaml": kHead + "resources:\n  - nothere\n"},
			want: []string{`"nothere" is not a local file or directory`}},
		{name: "absolute resource", files: map[string]string{"kustomization.yaml": kHead + "resources:\n  - " + outside + "\n"},
			want: []string{"absolute path"}},
		{name: "resource outside by ..", dir: "in", files: map[string]string{"in/kustomization.yaml": kHead + "resources:\n  - ../out\n",
			"out/kustomization.yaml": kHead}, want: []string{`"../out" resolves outside`}},
		{name: "resource symlink out", files: map[string]string{"kustomization.yaml": kHead + "resources:\n  - link\n", "link": "symlink:" + outside},
			want: []string{`"link" resolves outside`}},
		{name: "generator symlink out", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - g.yaml\n",
			"g.yaml": "symlink:" + filepath.Join(outside, "pwn.yaml")}, want: []string{`"g.yaml" resolves outside`}},
		{name: "generator directory", files: map[string]string{"kustomization.yaml": kHead + "generators:\n  - gen\n",
			"gen/kustomization.yaml": kHead + "resources:\n  - cp.yaml\n", "gen/cp.yaml": okReq}, want: []string{`"gen" is a directory`}},
		{name: "no kustomization", files: map[string]string{"cp.yaml": okReq}, want: []string{"no kustomization.yaml"}},
		{name: "two kustomization files", files: map[string]string{"kustomization.yaml": kHead, "kustomization.yml": kHead},
			want: []string{"more than one kustomization file"}},
		{name: "not a kustomization", files: map[string]string{"kustomization.yaml": "resources: {a: b}\n"}, want: []string{"not a kustomization"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "repo")
			writeTree(t, root, c.files)
			err := build.Guard(filepath.Join(root, c.dir))
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, build.ErrUntrustedKustomization) {
				t.Fatalf("err = %v, want ErrUntrustedKustomization", err)
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q: %v", s, err)
				}
			}
		})
	}
}

// TestRunRefusesBeforeKustomize checks that Run never starts kustomize for
// an untrusted tree and returns no render.
func TestRunRefusesBeforeKustomize(t *testing.T) {
	bin, argsFile, _ := fakeKustomize(t, clusterPair, "", 0)
	root := t.TempDir()
	writeTree(t, root, map[string]string{"kustomization.yaml": kHead + "generators:\n  - pwn.yaml\n", "pwn.yaml": pwnReq})
	r, err := build.Run(context.Background(), build.Options{Dir: root, Kustomize: bin})
	if !errors.Is(err, build.ErrUntrustedKustomization) || r != nil {
		t.Fatalf("err = %v, r = %v; want ErrUntrustedKustomization and no render", err, r)
	}
	if _, statErr := os.Stat(argsFile); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("kustomize was started (%v)", statErr)
	}
}
