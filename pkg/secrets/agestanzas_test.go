package secrets_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestAgeStanzasAreBounded (found by review; both builds): an age master
// key's enc is the repository's, and age accepts up to 1,024 recipient
// stanzas in it, each costing one X25519 unwrap per identity the renderer
// holds (sops writes exactly one). A 0.97 MB file of six such keys took
// 0.8 s of CPU, and the read budget admits 64 of them per run. Here the
// file's real data key is wrapped for 1,024 recipients, the demo key among
// them, as the file's only key: age would open it, so the file failing
// proves the key was never given to age.
func TestAgeStanzasAreBounded(t *testing.T) {
	testenv.UseDemoKey(t)
	data, err := os.ReadFile(secretstest.SrcFixture("kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	meta := doc["sops"].(map[string]any)
	original := meta["age"].([]any)[0].(map[string]any)
	ids, err := age.ParseIdentities(strings.NewReader(readKey(t, testenv.DemoKeyFile())))
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(original["enc"].(string))), ids...)
	if err != nil {
		t.Fatal(err)
	}
	dataKey, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	wrap := func(stanzas int) string {
		rs := []age.Recipient{ids[0].(*age.X25519Identity).Recipient()}
		for len(rs) < stanzas {
			id, err := age.GenerateX25519Identity()
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, id.Recipient())
		}
		var enc bytes.Buffer
		a := armor.NewWriter(&enc)
		w, err := age.Encrypt(a, rs...)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(dataKey)
		_ = w.Close()
		_ = a.Close()
		return enc.String()
	}
	for _, c := range []struct {
		stanzas int
		opens   bool
	}{{1, true}, {2, true}, {3, false}, {1024, false}} {
		original["enc"] = wrap(c.stanzas)
		meta["age"] = []any{original}
		file, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		_, err = testsops.NewDecryptor().Decrypt("kubeconfig.yaml", file, secrets.FormatYAML)
		if (err == nil) != c.opens {
			t.Errorf("%d stanzas: err = %v, want opened %v", c.stanzas, err, c.opens)
		}
	}
}
