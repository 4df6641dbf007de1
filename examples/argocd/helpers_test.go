package argocd_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testcrds"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// example returns a path under examples/argocd.
func example(elem ...string) string {
	return testenv.Path(append([]string{"examples", "argocd"}, elem...)...)
}

// crdPath returns a CRD file from internal/testcrds (Argo CD's CRDs from
// its Go module at the pinned version), failing the test when it cannot be
// had: the examples are validated against the real Argo CD CRDs and never
// skipped.
func crdPath(t *testing.T, name string) string {
	t.Helper()
	return testcrds.Path(t, name)
}

// readObjects reads the YAML documents of a file that have a kind.
func readObjects(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if m != nil && m["kind"] != nil {
			out = append(out, m)
		}
	}
	return out
}

func readObject(t *testing.T, path string) map[string]any {
	t.Helper()
	objs := readObjects(t, path)
	if len(objs) != 1 {
		t.Fatalf("%s: want one object, got %d", path, len(objs))
	}
	return objs[0]
}

type result struct {
	stdout, stderr string
	err            error
}

// run runs a command in dir with exactly env.
func run(dir string, env []string, name string, args ...string) result {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{stdout.String(), stderr.String(), err}
}

// get walks nested maps and lists: get(obj, "spec", "source", "path").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
