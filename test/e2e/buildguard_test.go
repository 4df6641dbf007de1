package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// pwnConfig is a generator/transformer/validator config whose function is
// the repository's own ./pwn.sh.
const pwnConfig = `apiVersion: example.com/v1
kind: Pwn
metadata:
  name: pwn
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ./pwn.sh
`

// TestBuildRefusesRepositoryExecFunctions reproduces the attack on the
// Argo CD plugin: a repository commits ./pwn.sh and names it as a KRM exec
// function. A plain `kustomize build --enable-alpha-plugins --enable-exec`
// runs it with the renderer's environment (the sops key); `clusterpair-fn
// build` must refuse before kustomize starts: the marker pwn.sh would write
// never appears, stdout is empty and the error names the file and the path.
func TestBuildRefusesRepositoryExecFunctions(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	cases := []struct {
		name   string
		edit   func(dir string) map[string]string // files to write, relative to dir
		stderr []string
	}{
		{name: "generator", edit: func(string) map[string]string {
			return map[string]string{"pwn.yaml": pwnConfig, "kustomization.yaml": "generators:\n  - clusterpair.yaml\n  - pwn.yaml\n"}
		}, stderr: []string{"pwn.yaml: generators[1]", `exec path "./pwn.sh"`}},
		{name: "transformer", edit: func(string) map[string]string {
			return map[string]string{"pwn.yaml": pwnConfig, "kustomization.yaml": "generators:\n  - clusterpair.yaml\ntransformers:\n  - pwn.yaml\n"}
		}, stderr: []string{"pwn.yaml: transformers[0]", `exec path "./pwn.sh"`}},
		{name: "validator", edit: func(string) map[string]string {
			return map[string]string{"pwn.yaml": pwnConfig, "kustomization.yaml": "generators:\n  - clusterpair.yaml\nvalidators:\n  - pwn.yaml\n"}
		}, stderr: []string{"pwn.yaml: validators[0]", `exec path "./pwn.sh"`}},
		{name: "in a nested base", edit: func(string) map[string]string {
			return map[string]string{"sub/pwn.yaml": pwnConfig, "sub/pwn.sh": "", "sub/kustomization.yaml": "generators:\n  - pwn.yaml\n",
				"kustomization.yaml": "generators:\n  - clusterpair.yaml\nresources:\n  - sub\n"}
		}, stderr: []string{"sub/pwn.yaml: generators[0]", `exec path "./pwn.sh"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyExample(t, "kustomize")
			marker := filepath.Join(t.TempDir(), "pwned")
			pwn := "#!/bin/sh\nenv > '" + marker + "'\ncat\n"
			files := c.edit(dir)
			for name, content := range files {
				if strings.HasSuffix(name, "pwn.sh") {
					continue // written below, executable
				}
				if name == "kustomization.yaml" {
					content = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + content
				}
				writeFile(t, filepath.Join(dir, name), content, 0o644)
			}
			writeFile(t, filepath.Join(dir, "pwn.sh"), pwn, 0o755)
			if _, ok := files["sub/pwn.sh"]; ok {
				writeFile(t, filepath.Join(dir, "sub", "pwn.sh"), pwn, 0o755)
			}
			env := append(demoKeyEnv(), "SOPS_AGE_KEY=AGE-SECRET-KEY-NOT-REAL")

			// The attack is real: kustomize itself runs pwn.sh with the key.
			runTool(t, dir, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
			leaked, err := os.ReadFile(marker)
			if err != nil || !strings.Contains(string(leaked), "SOPS_AGE_KEY=AGE-SECRET-KEY-NOT-REAL") {
				t.Fatalf("the attack did not reproduce with plain kustomize (err %v):\n%s", err, leaked)
			}
			if err := os.Remove(marker); err != nil {
				t.Fatal(err)
			}

			r := runTool(t, dir, env, fnBin, "build", ".")
			if r.err == nil {
				t.Fatalf("clusterpair-fn build succeeded:\n%s", r.stdout)
			}
			if r.stdout != "" {
				t.Errorf("a refused build printed %q", r.stdout)
			}
			for _, s := range append(c.stderr, "refusing to run kustomize", "only `exec: {path: clusterpair-fn}` may run") {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "AGE-SECRET-KEY") {
				t.Errorf("stderr shows the key:\n%s", r.stderr)
			}
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pwn.sh ran under clusterpair-fn build (%v)", err)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
