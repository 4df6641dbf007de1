package check

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestRenderPairDescribesARequestThatIsNotRendered: a request the function
// refuses before decoding it (placed outside the root by its annotation)
// is still described by its mode, storage and server, as before check took
// fn.Processor.Render's typed outcome.
func TestRenderPairDescribesARequestThatIsNotRendered(t *testing.T) {
	testenv.Isolate(t)
	doc := []byte("apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: a\n  namespace: app\n  annotations:\n    config.kubernetes.io/path: ../elsewhere/clusterpair.yaml\nspec:\n  mode: migration\n  destination:\n    kubeconfig:\n      file: kc.yaml\n      server: https://api.west.example:6443\n  storage:\n    ip: px.west.example\n    token:\n      file: t.enc\n")
	req := Request{Path: filepath.Join(t.TempDir(), "clusterpair.yaml"), doc: doc}
	p := checkRequest(req, Options{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor()}, time.Now, secrets.NewBudget(1<<20))[0]
	if p.Rendered || p.Errors() == 0 {
		t.Fatalf("rendered %v, findings %+v: want refused", p.Rendered, p.Findings)
	}
	if p.Mode != "migration" || p.Storage != "px.west.example:9001" || p.Server != "https://api.west.example:6443" {
		t.Errorf("mode %q, storage %q, server %q: the request is not described (findings %+v)", p.Mode, p.Storage, p.Server, p.Findings)
	}
}
