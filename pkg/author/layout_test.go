package author

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// walkFiles lists every file under dir, slash-separated and sorted.
func walkFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestNewLayouts: each layout writes its files, the request names the
// inputs where they are, and the kpt and flux requests encrypt the output.
func TestNewLayouts(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	cases := []struct {
		layout string
		files  []string
		want   []string // in the request
		absent []string
	}{
		{"kustomize", []string{"clusterpair.yaml", "destination-kubeconfig.yaml", "kustomization.yaml", "px-token.enc"},
			[]string{"file: destination-kubeconfig.yaml", "file: px-token.enc"}, []string{"output:"}},
		{"kpt", []string{".krmignore", "Kptfile", "clusterpair.yaml", "secrets/destination-kubeconfig.yaml", "secrets/px-token.enc"},
			[]string{"file: secrets/destination-kubeconfig.yaml", "file: secrets/px-token.enc", "  output:\n    encrypt:\n      age:\n        - age1"}, []string{"rendered/"}},
		{"flux", []string{"clusterpair.yaml", "kustomization.yaml", "render.sh", "secrets/destination-kubeconfig.yaml", "secrets/px-token.enc"},
			[]string{"file: secrets/px-token.enc", "  output:\n    file: rendered/clusterpair.yaml\n    encrypt:\n      age:\n        - age1"}, nil},
	}
	for _, c := range cases {
		t.Run(c.layout, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "dr-west")
			opts := options(t, f, dir)
			opts.Layout = c.layout
			res, err := New(opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := walkFiles(t, dir); !slices.Equal(got, c.files) {
				t.Errorf("files %v, want %v", got, c.files)
			}
			var listed []string
			for _, file := range res.Files {
				listed = append(listed, file.Name)
			}
			slices.Sort(listed)
			if !slices.Equal(listed, c.files) {
				t.Errorf("result lists %v, want %v", listed, c.files)
			}
			req, err := os.ReadFile(filepath.Join(dir, RequestFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(string(req), w) {
					t.Errorf("the request lacks %q:\n%s", w, req)
				}
			}
			for _, a := range c.absent {
				if strings.Contains(string(req), a) {
					t.Errorf("the request has %q:\n%s", a, req)
				}
			}
			decodeRequest(t, dir) // strict, as the function reads it
			assertNoSecrets(t, dir, f.secrets)
			if c.layout == "flux" {
				fi, err := os.Stat(filepath.Join(dir, RenderScriptFile))
				if err != nil || fi.Mode().Perm()&0o100 == 0 {
					t.Errorf("render.sh is not executable: %v %v", fi, err)
				}
			}
		})
	}
}

// TestNewDryRunWritesNothing: --dry-run checks and renders everything,
// lists the files, and leaves no file or directory behind.
func TestNewDryRunWritesNothing(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	for _, layout := range Layouts {
		t.Run(layout, func(t *testing.T) {
			parent := t.TempDir()
			opts := options(t, f, filepath.Join(parent, "dr-west"))
			opts.Layout, opts.DryRun = layout, true
			res, err := New(opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if !res.DryRun || len(res.Files) < 4 {
				t.Errorf("result %+v", res)
			}
			if got := walkFiles(t, parent); len(got) != 0 {
				t.Errorf("--dry-run wrote %v", got)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("--dry-run created %v", entries)
			}
		})
	}
	// A dry run still fails where the real run would.
	opts := options(t, f, filepath.Join(t.TempDir(), "x"))
	opts.DryRun, opts.Context = true, "missing"
	if _, err := New(opts); err == nil {
		t.Error("a dry run with a missing context succeeded")
	}
}

func TestNewLayoutErrors(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	cases := []struct {
		edit func(o *Options)
		want string
	}{
		{func(o *Options) { o.Layout = "helm" }, `--layout "helm": use kustomize, kpt, flux`},
		{func(o *Options) { o.Layout, o.Age = "kpt", nil }, "--layout kpt writes spec.output.encrypt: give its age recipients with --output-age"},
		{func(o *Options) { o.OutputAge = []string{"age1x"} }, "--output-age is for --layout kpt or flux"},
	}
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "p")
		opts := options(t, f, dir)
		c.edit(&opts)
		_, err := New(opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
		if got := walkFiles(t, dir); len(got) != 0 {
			t.Errorf("wrote %v", got)
		}
	}
}
