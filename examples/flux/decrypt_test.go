package flux

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestFluxDecryptsTheRenderedPair decrypts the committed rendered pair the
// way kustomize-controller does: the object, as JSON after kustomize, through
// sops' JSON store, without the MAC check Flux leaves off.
func TestFluxDecryptsTheRenderedPair(t *testing.T) {
	testenv.UseDemoKey(t)
	data, err := os.ReadFile(testenv.Path("examples", "flux", "pair", "rendered", "clusterpair.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	store := common.StoreForFormat(formats.Json, config.NewStoresConfig())
	tree, err := store.LoadEncryptedFile(js)
	if err != nil {
		t.Fatalf("Flux would not see a SOPS object: %v", err)
	}
	if tree.Metadata.MessageAuthenticationCode == "" {
		t.Fatal("Flux only decrypts objects whose sops metadata has a MAC")
	}
	key, err := tree.Metadata.GetDataKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Decrypt(key, aes.NewCipher()); err != nil {
		t.Fatalf("decrypting as Flux does: %v", err)
	}
	plain, err := store.EmitPlainFile(tree.Branches)
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Options map[string]string `json:"options"`
			Config  struct {
				CurrentContext string `json:"current-context"`
			} `json:"config"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(plain, &obj); err != nil {
		t.Fatal(err)
	}
	if obj.Kind != "ClusterPair" || obj.Metadata.Name != "dr-west" || obj.Spec.Options["mode"] != "DisasterRecovery" || obj.Spec.Options["port"] != "9001" || obj.Spec.Config.CurrentContext == "" {
		t.Errorf("decrypted pair = %+v", obj)
	}
}

// TestRenderScriptKeepsTheCommittedCiphertext runs examples/flux/render.sh
// on a copy: unchanged inputs must not change the committed file.
func TestRenderScriptKeepsTheCommittedCiphertext(t *testing.T) {
	testenv.Tool(t, "clusterpair-fn")
	testenv.Tool(t, "kustomize")
	dir := filepath.Join(t.TempDir(), "flux")
	testenv.CopyDir(t, testenv.Path("examples", "flux"), dir)
	if err := os.Chmod(filepath.Join(dir, "render.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "pair", "rendered", "clusterpair.yaml"))
	cmd := exec.Command(filepath.Join(dir, "render.sh"))
	cmd.Env = testenv.IsolatedEnv(t.TempDir(), "SOPS_AGE_KEY_FILE="+testenv.DemoKeyFile(), "PATH="+testenv.Path("bin")+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("render.sh: %v\n%s", err, out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "pair", "rendered", "clusterpair.yaml"))
	if string(before) != string(after) {
		t.Errorf("an unchanged render changed the committed ciphertext")
	}
	if !strings.Contains(string(after), "mac_only_encrypted: true") {
		t.Errorf("rendered pair is not mac-only encrypted")
	}
}

// TestRenderScriptCommitsOnlyCiphertext: a second request without
// spec.output.encrypt (its pair would be committed to Git in plaintext)
// makes render.sh fail and leaves the committed file as it was, although
// the first request's output is encrypted.
func TestRenderScriptCommitsOnlyCiphertext(t *testing.T) {
	testenv.Tool(t, "clusterpair-fn")
	dir := filepath.Join(t.TempDir(), "flux")
	testenv.CopyDir(t, testenv.Path("examples", "flux"), dir)
	if err := os.Chmod(filepath.Join(dir, "render.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	second := "\n---\napiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: dr-south\n  namespace: app\nspec:\n  mode: async-dr\n" +
		"  destination:\n    kubeconfig:\n      file: secrets/destination-kubeconfig.yaml\n  storage:\n    ip: px-api.south.example.com\n    token:\n      file: secrets/px-token.enc\n"
	req := filepath.Join(dir, "pair", "clusterpair.yaml")
	data, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(req, append(data, second...), 0o644); err != nil {
		t.Fatal(err)
	}
	rendered := filepath.Join(dir, "pair", "rendered", "clusterpair.yaml")
	before, _ := os.ReadFile(rendered)
	cmd := exec.Command(filepath.Join(dir, "render.sh"))
	cmd.Env = testenv.IsolatedEnv(t.TempDir(), "SOPS_AGE_KEY_FILE="+testenv.DemoKeyFile(), "PATH="+testenv.Path("bin")+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("render.sh committed a plaintext pair:\n%s", out)
	}
	if !strings.Contains(string(out), "ClusterPair app/dr-south") || !strings.Contains(string(out), "not SOPS-encrypted") {
		t.Errorf("render.sh does not say which object is plaintext:\n%s", out)
	}
	after, _ := os.ReadFile(rendered)
	if string(before) != string(after) {
		t.Error("the committed file changed")
	}
	entries, _ := os.ReadDir(filepath.Dir(rendered))
	if len(entries) != 1 {
		t.Errorf("render.sh left files behind: %v", entries)
	}
}

// TestRenderScriptRefusesSymlinkedOutput (security review): pair/ is
// written by whoever may change the request, and render.sh runs in CI with
// the key. A symbolic link on the way to the output (pair/, rendered/,
// clusterpair.yaml) made it write wherever the link points; now it refuses
// before rendering, and nothing outside changes. A stand-in clusterpair-fn
// prints a pair and records that it ran.
func TestRenderScriptRefusesSymlinkedOutput(t *testing.T) {
	cases := []struct {
		name string
		link func(t *testing.T, dir, outside string) // makes the link, inside dir, to outside
	}{
		{"rendered/ links to a directory elsewhere", func(t *testing.T, dir, outside string) {
			replaceWithLink(t, filepath.Join(dir, "pair", "rendered"), outside)
		}},
		{"clusterpair.yaml links to a file elsewhere", func(t *testing.T, dir, outside string) {
			replaceWithLink(t, filepath.Join(dir, "pair", "rendered", "clusterpair.yaml"), filepath.Join(outside, "victim"))
		}},
		{"clusterpair.yaml links to a directory elsewhere", func(t *testing.T, dir, outside string) {
			replaceWithLink(t, filepath.Join(dir, "pair", "rendered", "clusterpair.yaml"), outside)
		}},
		{"pair/ links to a directory elsewhere", func(t *testing.T, dir, outside string) {
			testenv.CopyDir(t, filepath.Join(dir, "pair"), filepath.Join(outside, "pair"))
			replaceWithLink(t, filepath.Join(dir, "pair"), filepath.Join(outside, "pair"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "flux")
			testenv.CopyDir(t, testenv.Path("examples", "flux"), dir)
			if err := os.Chmod(filepath.Join(dir, "render.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
			outside := t.TempDir()
			if err := os.WriteFile(filepath.Join(outside, "victim"), []byte("victim\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			c.link(t, dir, outside)
			before := treeOf(t, outside)
			stubs := t.TempDir()
			marker := filepath.Join(stubs, "ran")
			stub := "#!/bin/sh\ntouch '" + marker + "'\nprintf 'kind: ClusterPair\\n'\n"
			if err := os.WriteFile(filepath.Join(stubs, "clusterpair-fn"), []byte(stub), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(filepath.Join(dir, "render.sh"))
			cmd.Env = testenv.IsolatedEnv(t.TempDir(), "PATH="+stubs+":"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Errorf("render.sh wrote through the link:\n%s", out)
			}
			if !strings.Contains(string(out), "is a symbolic link: refusing to write through it") {
				t.Errorf("render.sh does not say why:\n%s", out)
			}
			if after := treeOf(t, outside); after != before {
				t.Errorf("render.sh changed what the link points to:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("render.sh rendered before refusing")
			}
		})
	}
}

// replaceWithLink replaces path (file or directory) with a symbolic link
// to target.
func replaceWithLink(t *testing.T, path, target string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// treeOf lists every file under dir with its contents.
func treeOf(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + ": " + string(data) + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
