package build_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
)

const clusterPair = `apiVersion: stork.libopenstorage.org/v1alpha1
kind: ClusterPair
metadata:
  name: dr-west
  namespace: app
spec:
  options: {}
`

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: app
`

const request = `apiVersion: fn.clusterpair.dev/v1alpha1
kind: ClusterPairRequest
metadata:
  name: dr-west
  namespace: app
`

// fakeKustomize writes a kustomize stand-in that records its arguments and
// environment, prints stdout and stderr and exits with code.
func fakeKustomize(t *testing.T, stdout, stderr string, code int) (bin, argsFile, envFile string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	argsFile, envFile = filepath.Join(dir, "args"), filepath.Join(dir, "env")
	cat, env := lookPath(t, "cat"), lookPath(t, "env") // tests change PATH
	script := "#!/bin/sh\n" +
		"printf '%s\\n' \"$@\" > '" + argsFile + "'\n" +
		env + " > '" + envFile + "'\n" +
		cat + " '" + filepath.Join(dir, "stdout") + "'\n" +
		cat + " '" + filepath.Join(dir, "stderr") + "' >&2\n" +
		"exit " + strconv.Itoa(code) + "\n"
	bin = filepath.Join(dir, "kustomize")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, argsFile, envFile
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	cases := []struct {
		name     string
		stdout   string
		stderr   string
		code     int
		wantErr  error
		errHas   []string
		wantCPs  []string
		wantObjs int
	}{
		{name: "one pair", stdout: clusterPair, wantCPs: []string{"ClusterPair app/dr-west"}, wantObjs: 1},
		{name: "pair among other objects", stdout: configMap + "---\n" + clusterPair + "---\n" + strings.Replace(clusterPair, "dr-west", "dr-east", 1),
			wantCPs: []string{"ClusterPair app/dr-west", "ClusterPair app/dr-east"}, wantObjs: 3},
		{name: "warnings on stderr pass through", stdout: clusterPair, stderr: "clusterpair-fn: warning: insecure-skip-tls-verify\n",
			wantCPs: []string{"ClusterPair app/dr-west"}, wantObjs: 1},
		{name: "empty render (exec function skipped)", stdout: "", wantErr: build.ErrEmptyRender,
			errHas: []string{"refusing to print an empty render", "generators:"}},
		{name: "only separators and comments", stdout: "---\n# nothing\n---\n\n", wantErr: build.ErrEmptyRender},
		{name: "no ClusterPair", stdout: configMap, wantErr: build.ErrNoClusterPair,
			errHas: []string{"1 object [ConfigMap app/settings (v1)]", "stork.libopenstorage.org/v1alpha1 ClusterPair"}},
		{name: "ClusterPair of another version", stdout: strings.Replace(clusterPair, "v1alpha1", "v1", 1), wantErr: build.ErrNoClusterPair},
		{name: "ClusterPair of another group", stdout: strings.Replace(clusterPair, "stork.libopenstorage.org", "example.com", 1), wantErr: build.ErrNoClusterPair},
		{name: "request listed under resources", stdout: request, wantErr: build.ErrRequestInRender,
			errHas: []string{"ClusterPairRequest app/dr-west", "`generators:` (not `resources:`)"}},
		{name: "request next to a pair", stdout: clusterPair + "---\n" + request, wantErr: build.ErrRequestInRender},
		{name: "kustomize fails", stdout: clusterPair, stderr: "Error: no usable decryption key\n", code: 1,
			wantErr: build.ErrKustomizeFailed, errHas: []string{"exit status 1", "nothing was printed"}},
		{name: "not YAML", stdout: "apiVersion: [\n", wantErr: build.ErrInvalidRender},
		{name: "a scalar document", stdout: "hello\n", wantErr: build.ErrInvalidRender},
		{name: "object without kind", stdout: "apiVersion: v1\nmetadata: {name: x}\n", wantErr: build.ErrInvalidRender},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin, argsFile, _ := fakeKustomize(t, c.stdout, c.stderr, c.code)
			trustedDir(t)
			var stderr bytes.Buffer
			r, err := build.Run(context.Background(), build.Options{Dir: "pairs/dr-west", Kustomize: bin, Stderr: &stderr})
			args, readErr := os.ReadFile(argsFile)
			if readErr != nil {
				t.Fatalf("kustomize was not run: %v", readErr)
			}
			if got, want := string(args), "build\n--enable-alpha-plugins\n--enable-exec\npairs/dr-west\n"; got != want {
				t.Errorf("kustomize args = %q, want %q", got, want)
			}
			if stderr.String() != c.stderr {
				t.Errorf("stderr = %q, want kustomize's %q", stderr.String(), c.stderr)
			}
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if r != nil {
					t.Errorf("a failed check returned a render: %q", r.Output)
				}
				for _, s := range c.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error lacks %q: %v", s, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Output) != c.stdout {
				t.Errorf("output = %q, want kustomize's stdout byte for byte %q", r.Output, c.stdout)
			}
			if len(r.Objects) != c.wantObjs {
				t.Errorf("objects = %v, want %d", r.Objects, c.wantObjs)
			}
			var got []string
			for _, o := range r.ClusterPairs {
				got = append(got, o.String())
			}
			if strings.Join(got, ",") != strings.Join(c.wantCPs, ",") {
				t.Errorf("ClusterPairs = %v, want %v", got, c.wantCPs)
			}
		})
	}
}

func TestRunDefaultsDirToDot(t *testing.T) {
	bin, argsFile, _ := fakeKustomize(t, clusterPair, "", 0)
	trustedDir(t)
	if _, err := build.Run(context.Background(), build.Options{Kustomize: bin}); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(argsFile)
	if !strings.HasSuffix(string(args), "--enable-exec\n.\n") {
		t.Errorf("args = %q, want the directory to default to .", args)
	}
}

func TestRunPassesEnvironment(t *testing.T) {
	bin, _, envFile := fakeKustomize(t, clusterPair, "", 0)
	trustedDir(t)
	env := []string{"PATH=/nonexistent", "SOPS_AGE_KEY_FILE=/keys/age.txt"}
	if _, err := build.Run(context.Background(), build.Options{Kustomize: bin, Env: env}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(envFile)
	if !strings.Contains(string(got), "SOPS_AGE_KEY_FILE=/keys/age.txt\n") {
		t.Errorf("kustomize's environment lacks the key variable:\n%s", got)
	}
}

func TestRunFindsKustomizeOnPath(t *testing.T) {
	bin, argsFile, _ := fakeKustomize(t, clusterPair, "", 0)
	trustedDir(t)
	t.Setenv("PATH", filepath.Dir(bin))
	if _, err := build.Run(context.Background(), build.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(argsFile); err != nil {
		t.Errorf("kustomize on PATH was not run: %v", err)
	}
}

func TestRunKustomizeMissing(t *testing.T) {
	trustedDir(t)
	t.Setenv("PATH", t.TempDir())
	for _, name := range []string{"", "kustomize", filepath.Join(t.TempDir(), "kustomize")} {
		_, err := build.Run(context.Background(), build.Options{Kustomize: name})
		if !errors.Is(err, build.ErrKustomizeNotFound) || !strings.Contains(err.Error(), "--kustomize") {
			t.Errorf("Kustomize=%q: err = %v, want ErrKustomizeNotFound with a hint", name, err)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	bin, _, _ := fakeKustomize(t, clusterPair, "", 0)
	trustedDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := build.Run(ctx, build.Options{Kustomize: bin})
	if !errors.Is(err, build.ErrKustomizeFailed) || !strings.Contains(err.Error(), "context canceled") || r != nil {
		t.Fatalf("err = %v, r = %v; want a failure naming the cancellation", err, r)
	}
}

func TestCheckDescribesManyObjects(t *testing.T) {
	var stream []string
	for i := 0; i < 7; i++ {
		stream = append(stream, strings.Replace(configMap, "settings", "cm-"+strconv.Itoa(i), 1))
	}
	_, err := build.Check([]byte(strings.Join(stream, "---\n")))
	if !errors.Is(err, build.ErrNoClusterPair) || !strings.Contains(err.Error(), "7 objects [") || !strings.Contains(err.Error(), "and 2 more]") {
		t.Fatalf("err = %v", err)
	}
}

func TestRefuseEncrypted(t *testing.T) {
	encrypted := "apiVersion: stork.libopenstorage.org/v1alpha1\nkind: ClusterPair\nmetadata: {name: p, namespace: app}\nspec: {options: {token: \"ENC[x]\"}}\nsops: {mac: \"ENC[y]\"}\n"
	trustedDir(t)
	bin, _, _ := fakeKustomize(t, encrypted, "", 0)
	if _, err := build.Run(context.Background(), build.Options{Kustomize: bin}); err != nil {
		t.Fatalf("without RefuseEncrypted an encrypted render passes (Flux CI): %v", err)
	}
	_, err := build.Run(context.Background(), build.Options{Kustomize: bin, RefuseEncrypted: true})
	if !errors.Is(err, build.ErrEncryptedRender) || !strings.Contains(err.Error(), "ClusterPair") {
		t.Fatalf("err = %v, want ErrEncryptedRender naming the object", err)
	}
}
