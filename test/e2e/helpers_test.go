package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

type result struct {
	stdout, stderr string
	err            error
}

// runTool runs a command in dir with an isolated environment: HOME and
// XDG_CONFIG_HOME in a temp dir, no host sops keys, ./bin first on PATH.
func runTool(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	base := testenv.IsolatedEnv(t.TempDir(), "PATH="+testenv.Path("bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(base, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

func demoKeyEnv() []string { return []string{"SOPS_AGE_KEY_FILE=" + testenv.DemoKeyFile()} }

// copyExample copies examples/NAME to a temp dir.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	testenv.CopyDir(t, testenv.Path("examples", name), dir)
	return dir
}

// decodeClusterPairs decodes every ClusterPair in a multi-document YAML
// stream the way Stork does (case-sensitive JSON, here also rejecting
// unknown fields) and checks that Stork could build a client from each.
func decodeClusterPairs(t *testing.T, stream string) []stork.ClusterPair {
	t.Helper()
	var pairs []stork.ClusterPair
	for _, doc := range strings.Split(stream, "\n---\n") {
		if !strings.Contains(doc, "kind: ClusterPair\n") {
			continue
		}
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		var cp stork.ClusterPair
		strictErrs, err := sjson.UnmarshalStrict(js, &cp)
		if err != nil {
			t.Fatalf("Stork could not decode the ClusterPair: %v", err)
		}
		if len(strictErrs) > 0 {
			t.Fatalf("ClusterPair has fields Stork does not know: %v", strictErrs)
		}
		if err := transform.ConfirmUsable(&cp.Spec.Config); err != nil {
			t.Fatalf("Stork could not build a client from spec.config: %v", err)
		}
		pairs = append(pairs, cp)
	}
	return pairs
}
