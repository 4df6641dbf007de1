package check

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestRenderPairFailures: a request that cannot be rendered at all is a
// pair with one error naming why, not rendered, and never probed.
func TestRenderPairFailures(t *testing.T) {
	testenv.Isolate(t)
	doc := []byte("apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: a\n  namespace: app\nspec:\n  mode: sync-dr\n  destination:\n    kubeconfig:\n      file: kc.yaml\n")
	gone := filepath.Join(t.TempDir(), "gone", "clusterpair.yaml")
	cases := []struct {
		name string
		req  Request
		want string
	}{
		{"a file that does not parse", Request{Path: "x.yaml", Problem: "document 1 is not valid YAML: bad"}, "document 1 is not valid YAML: bad"},
		{"a document that is not an object", Request{Path: "x.yaml", doc: []byte("- a\n- b\n")}, "document 1 is not a Kubernetes object"},
		{"a directory that is gone", Request{Path: gone, doc: doc}, "opening the render root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := checkRequest(c.req, Options{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor()}, time.Now, secrets.NewBudget(1<<20))[0]
			if p.Rendered || len(p.Findings) != 1 || p.Findings[0].Severity != diag.Error || !strings.Contains(p.Findings[0].Message, c.want) || p.config != nil {
				t.Errorf("pair: rendered %v findings %+v, want one error %q", p.Rendered, p.Findings, c.want)
			}
		})
	}
}
