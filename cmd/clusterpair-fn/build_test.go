package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
)

// stubKustomize writes a kustomize stand-in that prints out and exits with
// code, and changes to a directory whose kustomization (also under
// pairs/dr-west) runs only clusterpair-fn, so that build's guard passes.
func stubKustomize(t *testing.T, out string, code string) string {
	t.Helper()
	trusted := t.TempDir()
	for _, d := range []string{trusted, filepath.Join(trusted, "pairs", "dr-west")} {
		writeFiles(t, d, map[string]string{
			"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ngenerators:\n  - clusterpair.yaml\n",
			"clusterpair.yaml":   "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: dr-west\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: clusterpair-fn\n",
		})
	}
	t.Chdir(trusted)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "out"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "kustomize")
	script := "#!/bin/sh\n" + cat + " '" + filepath.Join(dir, "out") + "'\necho \"kustomize $*\" >&2\nexit " + code + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// writeFiles writes files (name -> content) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const pair = "apiVersion: stork.libopenstorage.org/v1alpha1\nkind: ClusterPair\nmetadata:\n  name: dr-west\n  namespace: app\n"

func TestBuildPrintsCheckedRender(t *testing.T) {
	bin := stubKustomize(t, pair, "0")
	out, stderr, err := execute(t, "", "build", "pairs/dr-west", "--kustomize", bin)
	if err != nil {
		t.Fatal(err)
	}
	if out != pair {
		t.Errorf("stdout = %q, want the render byte for byte", out)
	}
	if stderr != "kustomize build --enable-alpha-plugins --enable-exec pairs/dr-west\n" {
		t.Errorf("stderr = %q, want kustomize's stderr passed through", stderr)
	}
}

func TestBuildDefaultsToCurrentDirectory(t *testing.T) {
	bin := stubKustomize(t, pair, "0")
	_, stderr, err := execute(t, "", "build", "--kustomize", bin)
	if err != nil || !strings.HasSuffix(stderr, "--enable-exec .\n") {
		t.Fatalf("err = %v, stderr = %q", err, stderr)
	}
}

func TestBuildFailsInsteadOfPrintingNothing(t *testing.T) {
	cases := []struct {
		name, out, code string
		want            error
	}{
		{"empty render", "", "0", build.ErrEmptyRender},
		{"no pair", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", "0", build.ErrNoClusterPair},
		{"kustomize fails", pair, "1", build.ErrKustomizeFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := stubKustomize(t, c.out, c.code)
			out, _, err := execute(t, "", "build", ".", "--kustomize", bin)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if out != "" {
				t.Errorf("a failed build printed %q", out)
			}
		})
	}
}

func TestBuildArguments(t *testing.T) {
	if _, _, err := execute(t, "", "build", "a", "b"); err == nil {
		t.Error("two directories must be an error")
	}
	out, _, err := execute(t, "", "build", "--help")
	if err != nil || !strings.Contains(out, "--enable-alpha-plugins --enable-exec DIR") || !strings.Contains(out, "--kustomize") {
		t.Errorf("build --help = %q, %v", out, err)
	}
	out, _, err = execute(t, "", "--help")
	if err != nil || !strings.Contains(out, "build") {
		t.Errorf("--help does not list the build command: %q, %v", out, err)
	}
}

// TestBuildRefusesForeignFunctions checks that build refuses a kustomization
// naming another exec function: a clear error naming the file and what it
// found, nothing on stdout, and kustomize never started.
func TestBuildRefusesForeignFunctions(t *testing.T) {
	bin := stubKustomize(t, pair, "0")
	marker := filepath.Join(t.TempDir(), "kustomize-ran")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho ran > '"+marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ngenerators:\n  - pwn.yaml\n",
		"pwn.yaml":           "apiVersion: v1\nkind: X\nmetadata:\n  name: pwn\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./pwn.sh\n",
	})
	out, _, err := execute(t, "", "build", dir, "--kustomize", bin)
	if !errors.Is(err, build.ErrUntrustedKustomization) {
		t.Fatalf("err = %v, want ErrUntrustedKustomization", err)
	}
	for _, s := range []string{"pwn.yaml", "generators[0]", `exec path "./pwn.sh"`, "clusterpair-fn"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
	if out != "" {
		t.Errorf("a refused build printed %q", out)
	}
	if _, statErr := os.Stat(marker); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("kustomize was started (%v)", statErr)
	}
}
