// Package release checks the release configuration without running
// GoReleaser (which `make release-snapshot` runs, too slow for every CI run).
package release

import (
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

type build struct {
	ID, Main, Binary string
	Env, Flags, Tags []string
	Ldflags          []string
	Goos, Goarch     []string
}

type config struct {
	Version  int
	Builds   []build
	Archives []struct {
		IDs     []string `json:"ids"`
		Formats []string
		Files   []string
	}
	Checksum struct {
		NameTemplate string `json:"name_template"`
		Algorithm    string
	}
	SBOMs []struct {
		Artifacts string
		Cmd       string
		Args      []string
		Documents []string
	} `json:"sboms"`
}

func load(t *testing.T) config {
	t.Helper()
	data, err := os.ReadFile(testenv.Path(".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c config
	// Lenient: only the fields that matter are checked (goreleaser check
	// would need GoReleaser built, as make release-snapshot does).
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return c
}

// TestReleaseBuildsBothEditionsStatically: a lean (tag lean) and a full
// build of cmd/clusterpair-fn, static (CGO_ENABLED=0), reproducible
// (-trimpath), versioned, for linux and darwin on amd64 and arm64.
func TestReleaseBuildsBothEditionsStatically(t *testing.T) {
	c := load(t)
	if c.Version != 2 {
		t.Errorf("version %d, want 2 (GoReleaser v2)", c.Version)
	}
	byBinary := map[string]build{}
	for _, b := range c.Builds {
		byBinary[b.Binary] = b
	}
	for bin, wantLean := range map[string]bool{"clusterpair-fn": true, "clusterpair-fn-full": false} {
		b, ok := byBinary[bin]
		if !ok {
			t.Errorf("no build of %s", bin)
			continue
		}
		if b.Main != "./cmd/clusterpair-fn" {
			t.Errorf("%s: main %q", bin, b.Main)
		}
		if slices.Contains(b.Tags, "lean") != wantLean {
			t.Errorf("%s: tags %v, lean wanted: %v", bin, b.Tags, wantLean)
		}
		if !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
			t.Errorf("%s: not a static reproducible build: env %v flags %v", bin, b.Env, b.Flags)
		}
		if !strings.Contains(strings.Join(b.Ldflags, " "), "-X main.version={{ .Version }}") {
			t.Errorf("%s: ldflags %v do not set main.version", bin, b.Ldflags)
		}
		slices.Sort(b.Goos)
		slices.Sort(b.Goarch)
		if !slices.Equal(b.Goos, []string{"darwin", "linux"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
			t.Errorf("%s: platforms %v/%v, want linux,darwin/amd64,arm64", bin, b.Goos, b.Goarch)
		}
	}
}

// TestReleaseArchivesChecksumsAndSBOM: one archive holding both builds,
// a sha256 checksums file, and an SBOM per binary made offline-capable
// from the module proxy at a pinned version.
func TestReleaseArchivesChecksumsAndSBOM(t *testing.T) {
	c := load(t)
	if len(c.Archives) != 1 {
		t.Fatalf("%d archives, want 1", len(c.Archives))
	}
	a := c.Archives[0]
	ids := slices.Clone(a.IDs)
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"full", "lean"}) {
		t.Errorf("archive holds builds %v, want lean and full", a.IDs)
	}
	if !slices.Contains(a.Files, "LICENSE") {
		t.Errorf("archive files %v do not include LICENSE", a.Files)
	}
	for _, f := range a.Files {
		if strings.Contains(f, "agekey") || strings.Contains(f, "testdata") {
			t.Errorf("archive file %q ships test keys or data", f)
		}
	}
	if c.Checksum.Algorithm != "sha256" || !strings.Contains(c.Checksum.NameTemplate, "checksums") {
		t.Errorf("checksum %+v", c.Checksum)
	}
	if len(c.SBOMs) != 1 {
		t.Fatalf("%d sboms, want 1", len(c.SBOMs))
	}
	s := c.SBOMs[0]
	args := strings.Join(s.Args, " ")
	if s.Artifacts != "binary" || s.Cmd != "go" || !strings.Contains(args, "cyclonedx-gomod@v") || strings.Contains(args, "@latest") {
		t.Errorf("sbom %+v: want cyclonedx-gomod at a pinned version over each binary", s)
	}
}

// TestReleaseSnapshotPinsGoReleaser: make release-snapshot runs
// GoReleaser v2.15.x from the module proxy, never @latest.
func TestReleaseSnapshotPinsGoReleaser(t *testing.T) {
	data, err := os.ReadFile(testenv.Path("mk", "adoption.mk"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(data)
	if !strings.Contains(mk, "GORELEASER_VERSION ?= v2.15.") || !strings.Contains(mk, "github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION) release --snapshot") {
		t.Error("mk/adoption.mk does not run a pinned GoReleaser v2.15.x for release-snapshot")
	}
}

// TestLicenseLabelNamesTheLicense: the images' org.opencontainers.image.licenses
// label is the SPDX identifier of the LICENSE the repository carries.
func TestLicenseLabelNamesTheLicense(t *testing.T) {
	license, err := os.ReadFile(testenv.Path("LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile(testenv.Path("mk/adoption.mk"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(license), "Apache License\n                           Version 2.0, January 2004") {
		t.Fatal("LICENSE is not the Apache License 2.0 text; update this test and LICENSES in mk/adoption.mk together")
	}
	if !strings.Contains(string(mk), "\nLICENSES   ?= Apache-2.0\n") {
		t.Error("mk/adoption.mk: LICENSES is not Apache-2.0, the SPDX identifier of LICENSE")
	}
}
