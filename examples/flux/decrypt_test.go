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
