// Package testcrds gives tests the CustomResourceDefinitions the examples
// are validated against, from nothing outside the repository but the Go
// module proxy: Argo CD's and Flux's CRDs come from their published Go
// modules at pinned versions (both ship their CRDs in their module trees;
// `go mod download` puts them in the module cache), and the Stork CRDs,
// which Stork registers in code and does not publish, are kept by the
// project under test/crds/stork.
package testcrds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// Pinned module versions. Bump them deliberately: the examples are
// validated against exactly these schemas.
const (
	// ArgoCDModule ships manifests/crds/*-crd.yaml.
	ArgoCDModule = "github.com/argoproj/argo-cd/v2@v2.14.21"
	// FluxKustomizeModule ships config/crd/bases (Kustomization).
	FluxKustomizeModule = "github.com/fluxcd/kustomize-controller@v1.9.6"
	// FluxSourceModule ships config/crd/bases (GitRepository, OCIRepository...).
	FluxSourceModule = "github.com/fluxcd/source-controller@v1.9.6"
)

// source is where one CRD file lives: a path inside a module, or inside the
// repository when module is empty.
type source struct{ module, path string }

// files maps the names tests use to their sources.
var files = map[string]source{
	"argoproj.io_application-crd.yaml":                {ArgoCDModule, "manifests/crds/application-crd.yaml"},
	"argoproj.io_applicationset-crd.yaml":             {ArgoCDModule, "manifests/crds/applicationset-crd.yaml"},
	"argoproj.io_appproject-crd.yaml":                 {ArgoCDModule, "manifests/crds/appproject-crd.yaml"},
	"kustomize.toolkit.fluxcd.io_kustomizations.yaml": {FluxKustomizeModule, "config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"},
	"source.toolkit.fluxcd.io_gitrepositories.yaml":   {FluxSourceModule, "config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml"},
	"source.toolkit.fluxcd.io_ocirepositories.yaml":   {FluxSourceModule, "config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml"},
	"stork.libopenstorage.org_backuplocations.yaml":   {"", "test/crds/stork/stork.libopenstorage.org_backuplocations.yaml"},
	"stork.libopenstorage.org_clusterpairs.yaml":      {"", "test/crds/stork/stork.libopenstorage.org_clusterpairs.yaml"},
}

// Names returns the names Path accepts, sorted.
func Names() []string {
	out := make([]string, 0, len(files))
	for n := range files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Path returns the file of the CRD called name (one of Names), downloading
// its module into the module cache when needed. The test fails (never
// skips) when the module cannot be had or the file is missing.
func Path(t testing.TB, name string) string {
	t.Helper()
	src, ok := files[name]
	if !ok {
		t.Fatalf("testcrds: unknown CRD %q (have %v)", name, Names())
	}
	root := testenv.RepoRoot()
	if src.module != "" {
		dir, err := ModuleDir(src.module)
		if err != nil {
			t.Fatalf("testcrds: CRD %s: %v", name, err)
		}
		root = dir
	}
	p := filepath.Join(root, filepath.FromSlash(src.path))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testcrds: CRD %s: %v", name, err)
	}
	return p
}

// Paths returns the files of every CRD, in the order of Names.
func Paths(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, n := range Names() {
		out = append(out, Path(t, n))
	}
	return out
}

// ModuleDir returns the module cache directory of module@version, running
// `go mod download -json` (a no-op when the module is cached).
func ModuleDir(moduleAtVersion string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", moduleAtVersion)
	// Outside any module, so the repository's go.mod is neither read nor
	// changed.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil && runErr == nil {
		return "", fmt.Errorf("go mod download %s: %w", moduleAtVersion, err)
	}
	switch {
	case info.Error != "":
		return "", fmt.Errorf("go mod download %s: %s", moduleAtVersion, info.Error)
	case runErr != nil:
		return "", fmt.Errorf("go mod download %s: %w: %s", moduleAtVersion, runErr, bytes.TrimSpace(stderr.Bytes()))
	case info.Dir == "":
		return "", fmt.Errorf("go mod download %s: no directory reported", moduleAtVersion)
	}
	return info.Dir, nil
}
