package flux

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// repoPath is a path in the repository (this module is test/gitops/flux).
func repoPath(rel string) string {
	return filepath.Join("..", "..", "..", filepath.FromSlash(rel))
}

func readYAML(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
