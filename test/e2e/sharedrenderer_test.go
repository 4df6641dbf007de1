package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// The attack classes on the shared renderer (SECURITY.md, "The shared
// renderer"), each run twice against the real binaries: with plain
// `kustomize build --enable-alpha-plugins --enable-exec` (what the guard of
// earlier releases let run: the attack must reproduce there, or the test
// proves nothing) and with `clusterpair-fn build`, which must start no
// program, open no connection and read nothing outside the directory.

// pwnFunction is a KRM function config whose function is the repository's
// own ./pwn.sh.
const pwnFunction = `apiVersion: example.com/v1
kind: Pwn
metadata:
  name: pwn
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ./pwn.sh
`

// markerPrograms puts programs a repository could make a renderer start on
// PATH (kustomize's helm and git, and the repository's own pwn.sh), each
// appending its name and environment to a marker file, and returns the PATH
// entry and the marker.
func markerPrograms(t *testing.T, dir string) (string, string) {
	t.Helper()
	bin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "started")
	script := func(name string) string {
		return "#!/bin/sh\necho " + name + " >> '" + marker + "'\nenv >> '" + marker + "'\ncat\n"
	}
	for _, name := range []string{"helm", "git"} {
		writeFile(t, filepath.Join(bin, name), script(name), 0o755)
	}
	writeFile(t, filepath.Join(dir, "pwn.sh"), script("pwn.sh"), 0o755)
	return bin, marker
}

// connectionCounter is a loopback HTTP server that counts the connections
// it accepts and answers every request with body.
func connectionCounter(t *testing.T, body string) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(body))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// TestSharedRendererStartsNothing: KRM functions, helm and remote bases a
// kustomization names — as generator, transformer, validator, in a nested
// base, behind a YAML alias, with a key spelled as kustomize's
// case-insensitive decoder accepts it — start a program under plain
// kustomize and nothing under clusterpair-fn build, which refuses the
// directory with nothing printed and no key in its message.
func TestSharedRendererStartsNothing(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	header := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
	cases := []struct {
		name    string
		files   map[string]string
		started string // what plain kustomize starts
	}{
		{"exec generator", map[string]string{"pwn.yaml": pwnFunction, "kustomization.yaml": header + "generators:\n  - clusterpair.yaml\n  - pwn.yaml\n"}, "pwn.sh"},
		{"exec transformer", map[string]string{"pwn.yaml": pwnFunction, "kustomization.yaml": header + "generators:\n  - clusterpair.yaml\ntransformers:\n  - pwn.yaml\n"}, "pwn.sh"},
		{"exec validator", map[string]string{"pwn.yaml": pwnFunction, "kustomization.yaml": header + "generators:\n  - clusterpair.yaml\nvalidators:\n  - pwn.yaml\n"}, "pwn.sh"},
		{"transformer key spelled in capitals", map[string]string{"pwn.yaml": pwnFunction, "kustomization.yaml": header + "generators:\n  - clusterpair.yaml\nTransformers:\n  - pwn.yaml\n"}, "pwn.sh"},
		{"transformer behind a YAML alias", map[string]string{"pwn.yaml": pwnFunction, "kustomization.yaml": header + "metadata:\n  annotations:\n    note: &f pwn.yaml\ngenerators:\n  - clusterpair.yaml\ntransformers:\n  - *f\n"}, "pwn.sh"},
		{"nested base", map[string]string{"sub/pwn.yaml": pwnFunction, "sub/kustomization.yaml": header + "generators:\n  - pwn.yaml\n", "kustomization.yaml": header + "generators:\n  - clusterpair.yaml\nresources:\n  - sub\n"}, "pwn.sh"},
		{"helm chart", map[string]string{"kustomization.yaml": header + "generators:\n  - clusterpair.yaml\nhelmCharts:\n  - name: chart\n    repo: https://127.0.0.1:1/charts\n    version: 1.0.0\n"}, "helm"},
		{"remote base", map[string]string{"kustomization.yaml": header + "generators:\n  - clusterpair.yaml\nresources:\n  - https://github.com/evil/repo//base?ref=v1\n"}, "git"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyExample(t, "kustomize")
			for name, content := range c.files {
				writeFile(t, filepath.Join(dir, name), content, 0o644)
			}
			if _, ok := c.files["sub/pwn.yaml"]; ok {
				writeFile(t, filepath.Join(dir, "sub", "pwn.sh"), "", 0o755)
			}
			bin, marker := markerPrograms(t, dir)
			if _, ok := c.files["sub/pwn.yaml"]; ok {
				data, err := os.ReadFile(filepath.Join(dir, "pwn.sh"))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, "sub", "pwn.sh"), string(data), 0o755)
			}
			env := append(demoKeyEnv(), "PATH="+bin+string(os.PathListSeparator)+testenv.Path("bin")+string(os.PathListSeparator)+os.Getenv("PATH"))

			if c.started != "" {
				runTool(t, dir, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
				started, err := os.ReadFile(marker)
				if err != nil || !strings.Contains(string(started), c.started+"\n") || !strings.Contains(string(started), "SOPS_AGE_KEY_FILE=") {
					t.Fatalf("the attack did not reproduce with plain kustomize (%v):\n%s", err, started)
				}
				if err := os.Remove(marker); err != nil {
					t.Fatal(err)
				}
			}

			r := runTool(t, dir, env, fnBin, "build", ".")
			if r.err == nil || r.stdout != "" {
				t.Fatalf("clusterpair-fn build rendered (err %v):\n%s", r.err, r.stdout)
			}
			if !strings.Contains(r.stderr, "the kustomization uses what build does not render") && !strings.Contains(r.stderr, "invalid Kustomization") {
				t.Errorf("stderr does not say why:\n%s", r.stderr)
			}
			if started, err := os.ReadFile(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("clusterpair-fn build started a program:\n%s", started)
			}
		})
	}
}

// TestSharedRendererFetchesNothing: URLs in every kustomize field that
// fetches (resources, patches, openapi, crds, configurations, generator
// files and env files) are fetched by plain kustomize — a loopback server
// counts the connections — and never by clusterpair-fn build.
func TestSharedRendererFetchesNothing(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	header := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ngenerators:\n  - clusterpair.yaml\n"
	url, conns := connectionCounter(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n")
	cases := []struct{ name, k string }{
		{"resources", "resources:\n  - " + url + "/r.yaml\n"},
		{"patches", "patches:\n  - path: " + url + "/p.yaml\n"},
		{"openapi", "openapi:\n  path: " + url + "/schema.json\n"},
		{"crds", "crds:\n  - " + url + "/crd.json\n"},
		{"configurations", "configurations:\n  - " + url + "/c.yaml\n"},
		{"configMapGenerator files", "configMapGenerator:\n  - name: c\n    files:\n      - " + url + "/f\n"},
		{"secretGenerator envs", "secretGenerator:\n  - name: s\n    envs:\n      - " + url + "/e.env\n"},
	}
	fetchedByKustomize := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyExample(t, "kustomize")
			writeFile(t, filepath.Join(dir, "kustomization.yaml"), header+c.k, 0o644)
			before := conns.Load()
			runTool(t, dir, demoKeyEnv(), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
			if n := conns.Load() - before; n > 0 {
				fetchedByKustomize++
				t.Logf("plain kustomize opened %d connections", n)
			}
			before = conns.Load()
			r := runTool(t, dir, demoKeyEnv(), fnBin, "build", ".")
			if r.err == nil || r.stdout != "" {
				t.Fatalf("clusterpair-fn build rendered (err %v):\n%s", r.err, r.stdout)
			}
			if n := conns.Load() - before; n != 0 {
				t.Errorf("clusterpair-fn build opened %d connections", n)
			}
		})
	}
	if fetchedByKustomize != len(cases) {
		t.Errorf("plain kustomize fetched in %d of %d cases: the server does not see what kustomize fetches, so the test proves little", fetchedByKustomize, len(cases))
	}
}

// TestSharedRendererReadsOnlyItsDirectory: a generator in another team's
// directory (by path or by symlink) is not read; nothing of it reaches the
// output or the message.
func TestSharedRendererReadsOnlyItsDirectory(t *testing.T) {
	fnBin := testenv.Tool(t, "clusterpair-fn")
	repo := t.TempDir()
	a, b := filepath.Join(repo, "team-a"), filepath.Join(repo, "team-b")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), a)
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), b)
	header := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
	for name, setup := range map[string]func(){
		"generator path": func() {
			writeFile(t, filepath.Join(a, "kustomization.yaml"), header+"generators:\n  - ../team-b/clusterpair.yaml\n", 0o644)
		},
		"generator symlink": func() {
			symlink(t, filepath.Join(b, "clusterpair.yaml"), filepath.Join(a, "theirs.yaml"))
			writeFile(t, filepath.Join(a, "kustomization.yaml"), header+"generators:\n  - theirs.yaml\n", 0o644)
		},
		"reference symlink": func() {
			writeFile(t, filepath.Join(a, "kustomization.yaml"), header+"generators:\n  - clusterpair.yaml\n", 0o644)
			_ = os.Remove(filepath.Join(a, "destination-kubeconfig.yaml"))
			symlink(t, filepath.Join(b, "destination-kubeconfig.yaml"), filepath.Join(a, "destination-kubeconfig.yaml"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			setup()
			r := runTool(t, a, demoKeyEnv(), fnBin, "build", ".")
			if r.err == nil || r.stdout != "" {
				t.Fatalf("rendered from outside the directory:\n%s", r.stdout)
			}
		})
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestSharedRendererTenants: with a tenant map, team A's render cannot
// open team B's ciphertext, neither in B's directory (an Application's
// source.path) nor copied into A's own, although the renderer holds B's
// key for B; B renders its own pair.
func TestSharedRendererTenants(t *testing.T) {
	fnBin := testenv.Tool(t, "clusterpair-fn")
	repo := t.TempDir()
	b := filepath.Join(repo, "team-b")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), b) // encrypted to the demo key: team B's
	a := filepath.Join(repo, "team-a")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), a) // A copied B's ciphertext
	keys := t.TempDir()
	testenv.CopyFile(t, testenv.OtherKeyFile(), filepath.Join(keys, "a.agekey"))
	testenv.CopyFile(t, testenv.DemoKeyFile(), filepath.Join(keys, "b.agekey"))
	writeFile(t, filepath.Join(keys, "tenants.yaml"), "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: TenantMap\ntenants:\n  - name: team-a\n    ageKeyFile: a.agekey\n  - name: team-b\n    ageKeyFile: b.agekey\n", 0o600)
	// The renderer's environment also holds B's key, as a single-domain
	// renderer would: the tenant map must not fall back to it.
	env := append(demoKeyEnv(), "CLUSTERPAIR_FN_TENANTS="+filepath.Join(keys, "tenants.yaml"))
	for _, dir := range []string{a, b} {
		r := runTool(t, dir, append(env, "ARGOCD_APP_PROJECT_NAME=team-a"), fnBin, "build", ".")
		if r.err == nil || r.stdout != "" {
			t.Fatalf("team-a rendered %s:\n%s", dir, r.stdout)
		}
		if !strings.Contains(r.stderr, `none of tenant "team-a"'s keys opens it`) || !strings.Contains(r.stderr, "destination-kubeconfig.yaml") {
			t.Errorf("the message does not name the tenant and the file:\n%s", r.stderr)
		}
	}
	r := runTool(t, b, append(env, "ARGOCD_APP_PROJECT_NAME=team-b"), fnBin, "build", ".")
	if r.err != nil || !strings.Contains(r.stdout, "kind: ClusterPair\n") {
		t.Fatalf("team-b does not render its own pair: %v\n%s", r.err, r.stderr)
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

// TestBuildMatchesKustomize: for every example, each side, clusterpair-fn
// build prints byte for byte what plain kustomize prints with the function
// (and fails where it fails), so the shared renderer and a user's own
// kustomize build of the same directory agree.
func TestBuildMatchesKustomize(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	for _, ex := range []string{"kustomize", "bidirectional", "argocd/pairs/dr-west", "argocd/pairs/north-south", "flux/pair"} {
		for _, side := range []string{"source", "destination"} {
			t.Run(ex+"/"+side, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "pair")
				testenv.CopyDir(t, testenv.Path("examples", ex), dir)
				env := append(demoKeyEnv(), "CLUSTERPAIR_SIDE="+side)
				want := runTool(t, dir, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
				got := runTool(t, dir, env, fnBin, "build", ".")
				if (want.err == nil) != (got.err == nil) {
					t.Fatalf("kustomize err %v, build err %v\n%s\n%s", want.err, got.err, want.stderr, got.stderr)
				}
				if got.stdout != want.stdout {
					t.Errorf("build differs from kustomize\n--- kustomize\n%s\n--- build\n%s", want.stdout, got.stdout)
				}
			})
		}
	}
}

// TestSharedRendererMemoryIsBounded: what a team's directory can hold
// (each file up to the 1 MiB limit) cannot take the shared renderer's
// memory: the real binary's peak RSS stays under 256 MiB while it refuses
// a key selector into 9,990 levels of JSON (a plaintext file the request
// allows: the attacker writes the request), a generator file of 1 MiB of
// YAML nodes, a kustomization listing a million generator entries, a
// request just under the parse bound, and generator files each under it
// that add up past it (the bound is per run, found by review: two files of
// 495,000 nodes took 1.2 GiB). Before the selector was bounded, 96 KB of
// such JSON took 1 GB.
func TestSharedRendererMemoryIsBounded(t *testing.T) {
	fnBin := testenv.Tool(t, "clusterpair-fn")
	header := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
	deep := strings.Repeat(`{"a":`, 9990) + `"x"` + strings.Repeat("}", 9990)
	request := "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: dr-west\n  namespace: app\nspec:\n  mode: sync-dr\n" +
		"  destination:\n    kubeconfig:\n      file: deep.json\n      key: a\n      allowUnencrypted: true\n"
	cases := map[string]map[string]string{
		"key selector into deep JSON":          {"kustomization.yaml": header + "generators:\n  - clusterpair.yaml\n", "clusterpair.yaml": request, "deep.json": deep},
		"a generator file of nodes":            {"kustomization.yaml": header + "generators:\n  - gen.yaml\n", "gen.yaml": "a: [" + strings.Repeat("a,", (1<<20-8)/2) + "a]\n"},
		"a million generators":                 {"kustomization.yaml": header + "generators:\n" + strings.Repeat("- g\n", (1<<20-len(header)-20)/4)},
		"a request just under the parse bound": {"kustomization.yaml": header + "generators:\n  - gen0.yaml\n", "gen0.yaml": nodes(0, 149000)},
		"generator files adding up past it":    {"kustomization.yaml": header + "generators:\n  - gen0.yaml\n  - gen1.yaml\n", "gen0.yaml": nodes(0, 100000), "gen1.yaml": nodes(1, 100000)},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, content := range files {
				writeFile(t, filepath.Join(dir, f), content, 0o644)
			}
			cmd := exec.Command(fnBin, "build", ".")
			cmd.Dir = dir
			cmd.Env = testenv.IsolatedEnv(t.TempDir())
			out, err := cmd.Output()
			if err == nil || len(out) > 0 {
				t.Fatalf("rendered (err %v): %d bytes", err, len(out))
			}
			ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			if !ok {
				t.Fatal("no rusage")
			}
			if peak := ru.Maxrss << 10; peak > 256<<20 {
				t.Errorf("peak RSS %d MiB, the bound is 256 MiB", peak>>20)
			} else {
				t.Logf("peak RSS %d MiB", peak>>20)
			}
		})
	}
}

// nodes is a request document with a list of n scalars: about n YAML nodes.
func nodes(i, n int) string {
	return fmt.Sprintf("apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata: {name: x%d, namespace: y}\nspec: {a: [%sa]}\n", i, strings.Repeat("a,", n))
}
