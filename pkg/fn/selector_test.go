package fn_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestSelectedValueIsBoundedThroughTheFunction: through the function, a
// key that selects a deeply nested subtree of an encrypted file is refused
// with an error naming the field, the file and the key, nothing is
// rendered, no value appears, and the run allocates no more than one that
// selects the file's good kubeconfig. Before the fix the subtree (3,000
// levels, a 20 KB encrypted JSON file) was printed as 18 MB of YAML first:
// the run allocated 77 MiB more than the good one.
func TestSelectedValueIsBoundedThroughTheFunction(t *testing.T) {
	dir := fixtureDir(t)
	token, leaf := canary(t, "token"), canary(t, "leaf")
	good, err := yaml.YAMLToJSON([]byte(fmt.Sprintf(goodKubeconfig, token)))
	if err != nil {
		t.Fatal(err)
	}
	plain := `{"good":` + string(good) + `,"deep":` + strings.Repeat(`{"a":`, 3000) + `"` + leaf + `"` + strings.Repeat("}", 3000) + `}`
	enc, err := testsops.NewFixtureEncryptor().EncryptFile([]byte(plain), filepath.Join(dir, "deep.json"), secrets.FileEncryptOptions{Age: []string{demoRecipient(t)}})
	if err != nil {
		t.Fatal(err)
	}
	// sops indents each level with a tab; compacted, the file stays small
	// (the MAC covers values, not layout).
	var compact bytes.Buffer
	if err := json.Compact(&compact, enc.Data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deep.json"), compact.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	request := func(key string) []byte {
		return resourceList(t, "", requestWith("  mode: sync-dr\n  destination: {kubeconfig: {file: deep.json, key: "+key+"}}\n"))
	}
	measure := func(key string) (stdout, stderr string, alloc uint64, err error) {
		var out, log bytes.Buffer
		p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: dir, Log: &log}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err = fn.Run(p, bytes.NewReader(request(key)), &out)
		runtime.ReadMemStats(&after)
		return out.String(), log.String(), after.TotalAlloc - before.TotalAlloc, err
	}

	stdout, stderr, baseline, err := measure("good")
	if err != nil || !strings.Contains(stdout, "kind: ClusterPair\n") {
		t.Fatalf("the good kubeconfig of the same file: %v\n%s", err, stderr)
	}
	stdout, stderr, alloc, err := measure("deep")
	if err == nil {
		t.Fatal("a selector of 3,000 nested levels rendered")
	}
	msg := stderr + err.Error()
	for _, want := range []string{"spec.destination.kubeconfig", "deep.json", `key "deep" selects a mapping that nests more than 100 levels deep`} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(stdout, "kind: ClusterPair\n") {
		t.Error("a failing run rendered a ClusterPair")
	}
	for _, secret := range []string{token, leaf} {
		if strings.Contains(stdout+msg, secret) {
			t.Errorf("the output or the error contains a decrypted value")
		}
	}
	if alloc > baseline+4<<20 {
		t.Errorf("the refused run allocated %d MiB, the good one %d MiB: the subtree was printed before it was bounded", alloc>>20, baseline>>20)
	}
	t.Logf("allocated: good run %d KiB, refused run %d KiB", baseline>>10, alloc>>10)
}
