package fn_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// runBounded runs the function and fails if it takes absurdly long or
// allocates absurdly much: a safety net against hangs and bombs, not a
// performance assertion (benchmarks measure speed).
func runBounded(t *testing.T, dir string, input []byte) (string, string, error) {
	t.Helper()
	type out struct {
		stdout, stderr string
		err            error
	}
	done := make(chan out, 1)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		var stdout, stderr bytes.Buffer
		p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: dir, Log: &stderr}
		err := fn.Run(p, bytes.NewReader(input), &stdout)
		done <- out{stdout.String(), stderr.String(), err}
	}()
	select {
	case o := <-done:
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<30 {
			t.Errorf("allocated %d MiB", alloc>>20)
		}
		return o.stdout, o.stderr, o.err
	case <-time.After(2 * time.Minute):
		t.Fatal("the function did not finish: hang")
		return "", "", nil
	}
}

func requestWith(spec string) string {
	return "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata: {name: h, namespace: app}\nspec:\n" + spec
}

// TestHostileInput: each input must end in a clear error (or, where noted,
// documented acceptance) within bounds.
func TestHostileInput(t *testing.T) {
	laughs := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := fmt.Sprintf("b%d", i)
		laughs += name + ": &" + name + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
		prev = name
	}
	nested := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	cases := []struct {
		name    string
		input   func(t *testing.T, dir string) []byte
		wantErr string // substring of stderr or of the error; "" means success
	}{
		{"billion laughs in the ResourceList", func(*testing.T, string) []byte {
			return []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  kind: X\n" + indent(laughs, "  "))
		}, "no ClusterPairRequest"},
		{"billion laughs inside a request", func(t *testing.T, _ string) []byte {
			return []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- " + strings.ReplaceAll(requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: kubeconfig.yaml}}\n  rancher:\n    projectMappings:\n"+indent(laughs, "      ")), "\n", "\n  "))
		}, "error"},
		{"deeply nested request", func(t *testing.T, _ string) []byte {
			return []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: fn.clusterpair.dev/v1alpha1\n  kind: ClusterPairRequest\n  metadata: {name: h, namespace: app}\n  extra: " + nested + "\n")
		}, "max depth"},
		{"ResourceList over the size limit", func(*testing.T, string) []byte {
			return bytes.Repeat([]byte("#"), secrets.MaxInputSize+1)
		}, "exceeds"},
		{"not UTF-8", func(*testing.T, string) []byte {
			return []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: fn.clusterpair.dev/v1alpha1\n  kind: ClusterPairRequest\n  metadata: {name: \"h\xff\xfe\", namespace: app}\n")
		}, "UTF-8"},
		{"NUL byte in a path", func(t *testing.T, _ string) []byte {
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: \"kube\\u0000config.yaml\"}}\n"))
		}, "NUL"},
		{"unicode look-alike field name", func(t *testing.T, _ string) []byte {
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: kubeconfig.yaml}}\n")+"ѕpec: {}\n")
		}, `unknown field "ѕpec"`},
		{"duplicate keys", func(t *testing.T, _ string) []byte {
			return []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: fn.clusterpair.dev/v1alpha1\n  kind: ClusterPairRequest\n  metadata: {name: h, namespace: app}\n  spec:\n    mode: sync-dr\n    mode: async-dr\n    destination: {kubeconfig: {file: kubeconfig.yaml}}\n")
		}, "duplicated"},
		{"referenced file is a FIFO", func(t *testing.T, dir string) []byte {
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
				t.Fatal(err)
			}
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: fifo.yaml}}\n"))
		}, "named pipe"},
		{"referenced file is a symlink loop", func(t *testing.T, dir string) []byte {
			if err := os.Symlink("loop.yaml", filepath.Join(dir, "loop.yaml")); err != nil {
				t.Fatal(err)
			}
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: loop.yaml}}\n"))
		}, "symbolic links"},
		{"referenced file leads out of the root", func(t *testing.T, dir string) []byte {
			if err := os.Symlink("/etc/hostname", filepath.Join(dir, "out.yaml")); err != nil {
				t.Fatal(err)
			}
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: out.yaml}}\n"))
		}, "outside"},
		{"referenced file too large", func(t *testing.T, dir string) []byte {
			if err := os.WriteFile(filepath.Join(dir, "big.yaml"), bytes.Repeat([]byte("a"), secrets.MaxFileSize+1), 0o644); err != nil {
				t.Fatal(err)
			}
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: big.yaml}}\n"))
		}, "too large"},
		{"kubeconfig with 500 contexts (accepted: the chosen one is kept)", func(t *testing.T, dir string) []byte {
			var b strings.Builder
			b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n")
			for i := 0; i < 500; i++ {
				fmt.Fprintf(&b, "- name: c%d\n  cluster: {server: \"https://c%d.example.com\"}\n", i, i)
			}
			b.WriteString("users:\n")
			for i := 0; i < 500; i++ {
				fmt.Fprintf(&b, "- name: u%d\n  user: {token: tok-%d-abcdef}\n", i, i)
			}
			b.WriteString("contexts:\n")
			for i := 0; i < 500; i++ {
				fmt.Fprintf(&b, "- name: x%d\n  context: {cluster: c%d, user: u%d}\n", i, i, i)
			}
			b.WriteString("current-context: x250\n")
			writeEncrypted(t, dir, "many.yaml", b.String())
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: many.yaml}}\n"))
		}, ""},
		{"exec plugin with odd arguments (accepted with a warning)", func(t *testing.T, dir string) []byte {
			writeEncrypted(t, dir, "exec.yaml", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://c.example.com\"}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: \"aws; rm -rf /\"\n      args: [\"--a\\nb\", \"$(id)\", \"`whoami`\", \"\\u202e\"]\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n")
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: exec.yaml}}\n"))
		}, ""},
		{"decrypted kubeconfig is a billion laughs", func(t *testing.T, dir string) []byte {
			data, err := os.ReadFile(filepath.Join(dir, "kubeconfig.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			_ = data
			if err := os.WriteFile(filepath.Join(dir, "laughs.yaml"), []byte(laughs), 0o644); err != nil {
				t.Fatal(err)
			}
			return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: laughs.yaml, allowUnencrypted: true}}\n"))
		}, "error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fixtureDir(t)
			stdout, stderr, err := runBounded(t, dir, c.input(t, dir))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("want acceptance, got %v\n%s", err, stderr)
				}
				if !strings.Contains(stdout, "kind: ClusterPair") {
					t.Fatalf("nothing rendered:\n%s", stdout)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error mentioning %q, got success", c.wantErr)
			}
			if msg := stderr + err.Error(); !strings.Contains(msg, c.wantErr) {
				t.Errorf("error lacks %q:\n%s", c.wantErr, msg)
			}
			if strings.Contains(stdout, "kind: ClusterPair\n") {
				t.Errorf("a failing run rendered a ClusterPair")
			}
		})
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}
