package build_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
)

// realEnv is an isolated environment with ./bin (kustomize, clusterpair-fn)
// first on PATH, plus extra.
func realEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	path := "PATH=" + testenv.Path("bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	return testenv.IsolatedEnv(t.TempDir(), append([]string{path}, extra...)...)
}

func demoKey() string { return "SOPS_AGE_KEY_FILE=" + testenv.DemoKeyFile() }

func copyExample(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kustomize")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), dir)
	return dir
}

// TestRunRealKustomize renders examples/kustomize with the real kustomize
// v5.8.2 and the demo key: the output is exactly what a plain
// `kustomize build --enable-alpha-plugins --enable-exec` prints.
func TestRunRealKustomize(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	testenv.Tool(t, "clusterpair-fn")
	dir := copyExample(t)
	env := realEnv(t, demoKey())
	var stderr bytes.Buffer
	r, err := build.Run(context.Background(), build.Options{Dir: dir, Kustomize: kustomize, Env: env, Stderr: &stderr})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("unexpected stderr: %s", stderr.String())
	}
	if len(r.ClusterPairs) != 1 || r.ClusterPairs[0].String() != "ClusterPair app/dr-west" || len(r.Objects) != 1 {
		t.Errorf("objects = %v, want the one ClusterPair app/dr-west", r.Objects)
	}
	direct := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
	direct.Env = env
	want, err := direct.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Output, want) {
		t.Errorf("output differs from kustomize's\n--- kustomize\n%s\n--- build\n%s", want, r.Output)
	}
}

// TestRunRealKustomizeFailures covers, with the real kustomize, every way
// the function can fail to produce the pair: each must be an error, never
// an empty or pair-less render.
func TestRunRealKustomizeFailures(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	testenv.Tool(t, "clusterpair-fn")
	// A kustomize that drops --enable-exec, as a misconfigured pipeline
	// would: kustomize then skips the exec function and exits 0.
	noExec := filepath.Join(t.TempDir(), "kustomize-without-exec")
	script := "#!/bin/sh\n" +
		"args=\n" +
		"for a in \"$@\"; do [ \"$a\" = --enable-exec ] || args=\"$args $a\"; done\n" +
		"exec '" + kustomize + "' $args\n"
	if err := os.WriteFile(noExec, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// PATH with kustomize but without clusterpair-fn.
	onlyKustomize := t.TempDir()
	if err := os.Symlink(kustomize, filepath.Join(onlyKustomize, "kustomize")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		kustomize string
		env       []string
		edit      func(t *testing.T, dir string)
		want      error
		stderr    string
	}{
		{name: "exec functions disabled", kustomize: noExec, env: realEnv(t, demoKey()), want: build.ErrEmptyRender},
		{name: "function not on PATH", kustomize: kustomize, want: build.ErrKustomizeFailed, stderr: "clusterpair-fn",
			env: append(testenv.IsolatedEnv(t.TempDir(), "PATH="+onlyKustomize), demoKey())},
		{name: "no key", kustomize: kustomize, env: realEnv(t), want: build.ErrKustomizeFailed, stderr: "no usable decryption key"},
		{name: "request under resources", kustomize: kustomize, env: realEnv(t, demoKey()), want: build.ErrRequestInRender,
			edit: func(t *testing.T, dir string) {
				rewrite(t, filepath.Join(dir, "kustomization.yaml"), "generators:", "resources:")
			}},
		{name: "generator removed", kustomize: kustomize, env: realEnv(t, demoKey()), want: build.ErrNoClusterPair,
			edit: func(t *testing.T, dir string) {
				cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
				if err := os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte(cm), 0o644); err != nil {
					t.Fatal(err)
				}
				rewrite(t, filepath.Join(dir, "kustomization.yaml"), "generators:\n  - clusterpair.yaml", "resources:\n  - cm.yaml")
			}},
		{name: "empty kustomization", kustomize: kustomize, env: realEnv(t, demoKey()), want: build.ErrEmptyRender,
			edit: func(t *testing.T, dir string) {
				rewrite(t, filepath.Join(dir, "kustomization.yaml"), "generators:\n  - clusterpair.yaml", "generators: []\nnamespace: app")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyExample(t)
			if c.edit != nil {
				c.edit(t, dir)
			}
			var stderr bytes.Buffer
			r, err := build.Run(context.Background(), build.Options{Dir: dir, Kustomize: c.kustomize, Env: c.env, Stderr: &stderr})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v\nstderr: %s", err, c.want, stderr.String())
			}
			if r != nil {
				t.Errorf("a failure returned a render:\n%s", r.Output)
			}
			if !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, stderr.String())
			}
		})
	}
}

func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s lacks %q; update this test", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
