package build_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
)

// FuzzGuard feeds arbitrary kustomization and config files to Guard: it
// must not panic, and it either accepts or refuses with
// ErrUntrustedKustomization.
func FuzzGuard(f *testing.F) {
	f.Add(kHead+"generators:\n  - g.yaml\n", okReq)
	f.Add(kHead+"generators:\n  - g.yaml\n", pwnReq)
	f.Add(kHead+"transformers:\n  - g.yaml\nresources:\n  - .\n", "apiVersion: v1\nkind: List\nitems:\n- "+pwnReq)
	f.Add("generators: [\"{a: b}\"]\n", "---\n---\n")
	f.Fuzz(func(t *testing.T, kustomization, config string) {
		dir := t.TempDir()
		for name, content := range map[string]string{"kustomization.yaml": kustomization, "g.yaml": config} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := build.Guard(dir); err != nil && !errors.Is(err, build.ErrUntrustedKustomization) {
			t.Fatalf("err = %v, want nil or ErrUntrustedKustomization", err)
		}
	})
}
