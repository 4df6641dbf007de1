package testcrds_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testcrds"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestEveryCRDResolves checks each name resolves to a CRD of the group its
// name says, and that nothing comes from outside the repository except the
// module cache.
func TestEveryCRDResolves(t *testing.T) {
	for _, name := range testcrds.Names() {
		t.Run(name, func(t *testing.T) {
			p := testcrds.Path(t, name)
			if strings.Contains(p, string(filepath.Separator)+"shared"+string(filepath.Separator)) {
				t.Errorf("%s comes from a shared directory: %s", name, p)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var crd struct {
				Kind string
				Spec struct{ Group string }
			}
			if err := yaml.Unmarshal(data, &crd); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				t.Errorf("%s: kind %q, want CustomResourceDefinition", p, crd.Kind)
			}
			if !strings.HasPrefix(name, crd.Spec.Group+"_") {
				t.Errorf("%s: group %q does not match the name", p, crd.Spec.Group)
			}
			inRepo := strings.HasPrefix(p, testenv.RepoRoot()+string(filepath.Separator))
			if strings.HasPrefix(name, "stork.") != inRepo {
				t.Errorf("%s: Stork CRDs live in the repository, the others in the module cache; got %s", name, p)
			}
		})
	}
}

// TestModuleDirErrors checks an unknown module version is an error naming it.
func TestModuleDirErrors(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-modcacherw")
	_, err := testcrds.ModuleDir("example.invalid/nothing@v0.0.1")
	if err == nil || !strings.Contains(err.Error(), "example.invalid/nothing@v0.0.1") {
		t.Errorf("err = %v, want an error naming the module", err)
	}
}
