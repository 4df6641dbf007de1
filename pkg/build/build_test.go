package build_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// pairDir is a copy of examples/kustomize (a request and its encrypted
// files, the demo key) with its kustomization replaced by k ("" keeps it),
// plus extra files.
func pairDir(t *testing.T, k string, extra map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pair")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), dir)
	if k != "" {
		extra = mergeFiles(extra, map[string]string{"kustomization.yaml": k})
	}
	for name, content := range extra {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mergeFiles(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// run renders dir with the build's decryptor and the demo key.
func run(t *testing.T, dir string, o build.Options) (*build.Render, string, error) {
	t.Helper()
	testenv.UseDemoKey(t)
	var log bytes.Buffer
	o.Dir = dir
	o.Processor = fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Log: &log}
	r, err := build.Run(o)
	return r, log.String(), err
}

// TestRunRendersTheRequests: build prints what the function renders for
// the same request, and nothing else.
func TestRunRendersTheRequests(t *testing.T) {
	r, log, err := run(t, pairDir(t, "", nil), build.Options{RefuseEncrypted: true})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log)
	}
	if len(r.ClusterPairs) != 1 || r.ClusterPairs[0].String() != "ClusterPair app/dr-west" || len(r.Objects) != 1 {
		t.Fatalf("objects %v", r.Objects)
	}
	out := string(r.Output)
	secretstest.AssertContains(t, out, "kind: ClusterPair\n", "ip: px-api.west.example.com", `port: "9001"`)
	for _, banned := range []string{"ClusterPairRequest", "config.kubernetes.io/path", "config.kubernetes.io/index", "local-config"} {
		if strings.Contains(out, banned) {
			t.Errorf("the render carries %q:\n%s", banned, out)
		}
	}
	again, _, err := run(t, pairDir(t, "", nil), build.Options{})
	if err != nil || !bytes.Equal(again.Output, r.Output) {
		t.Fatalf("a second render differs (err %v)", err)
	}
}

// TestRunRefuses: every refusal, with nothing rendered: what would let
// Argo CD prune (no kustomization, no generator, no request), every
// kustomize feature build does not render (kustomize's own decoder reads
// the file, so case and deprecated spellings count), every generator
// entry that is not a file beside the kustomization, and generator files
// that hold anything but requests.
func TestRunRefuses(t *testing.T) {
	header := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
	gen := header + "generators:\n  - clusterpair.yaml\n"
	cases := []struct {
		name    string
		k       string // kustomization.yaml ("" keeps the example's)
		extra   map[string]string
		remove  string
		wantErr error
		want    []string
	}{
		{name: "no kustomization", remove: "kustomization.yaml", wantErr: build.ErrEmptyRender, want: []string{"has no kustomization.yaml"}},
		{name: "two kustomizations", extra: map[string]string{"Kustomization": gen}, want: []string{"2 kustomization files", "kustomization.yaml, Kustomization"}},
		{name: "no generators", k: header + "resources: []\n", wantErr: build.ErrEmptyRender, want: []string{"lists no generators"}},
		{name: "request under resources", k: header + "resources:\n  - clusterpair.yaml\n", wantErr: build.ErrUnsupported, want: []string{"sets resources"}},
		{name: "resources beside generators", k: gen + "resources:\n  - https://127.0.0.1:1/x.yaml\n", wantErr: build.ErrUnsupported, want: []string{"sets resources", "fetches nothing"}},
		{name: "case-insensitive field kustomize accepts", k: gen + "Resources:\n  - x.yaml\n", wantErr: build.ErrUnsupported, want: []string{"sets resources"}},
		{name: "deprecated bases", k: gen + "bases:\n  - ../other\n", wantErr: build.ErrUnsupported, want: []string{"sets resources"}},
		{name: "components", k: gen + "components:\n  - ../c\n", wantErr: build.ErrUnsupported, want: []string{"sets components"}},
		{name: "transformers", k: gen + "transformers:\n  - t.yaml\n", wantErr: build.ErrUnsupported, want: []string{"sets transformers"}},
		{name: "validators", k: gen + "validators:\n  - v.yaml\n", wantErr: build.ErrUnsupported, want: []string{"sets validators"}},
		{name: "helm charts", k: gen + "helmCharts:\n  - name: x\n    repo: https://127.0.0.1:1\n", wantErr: build.ErrUnsupported, want: []string{"sets helmCharts"}},
		{name: "helm globals", k: gen + "helmGlobals:\n  configHome: ./helm\n", wantErr: build.ErrUnsupported, want: []string{"sets helmGlobals"}},
		{name: "patches", k: gen + "patches:\n  - path: https://127.0.0.1:1/p.yaml\n", wantErr: build.ErrUnsupported, want: []string{"sets patches"}},
		{name: "openapi", k: gen + "openapi:\n  path: https://127.0.0.1:1/s.json\n", wantErr: build.ErrUnsupported, want: []string{"sets openapi"}},
		{name: "crds", k: gen + "crds:\n  - https://127.0.0.1:1/c.yaml\n", wantErr: build.ErrUnsupported, want: []string{"sets crds"}},
		{name: "configurations", k: gen + "configurations:\n  - https://127.0.0.1:1/c.yaml\n", wantErr: build.ErrUnsupported, want: []string{"sets configurations"}},
		{name: "configMapGenerator", k: gen + "configMapGenerator:\n  - name: x\n    files: [https://127.0.0.1:1/f]\n", wantErr: build.ErrUnsupported, want: []string{"sets configMapGenerator"}},
		{name: "namespace", k: gen + "namespace: other\n", wantErr: build.ErrUnsupported, want: []string{"sets namespace"}},
		{name: "commonLabels", k: gen + "commonLabels: {a: b}\n", wantErr: build.ErrUnsupported, want: []string{"sets commonLabels"}},
		{name: "build metadata", k: gen + "buildMetadata: [originAnnotations]\n", wantErr: build.ErrUnsupported, want: []string{"sets buildMetadata"}},
		{name: "a Component", k: "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ngenerators:\n  - clusterpair.yaml\n", wantErr: build.ErrUnsupported, want: []string{"is a Component"}},
		{name: "unknown field", k: gen + "pwn: true\n", want: []string{"invalid Kustomization", "unknown field"}},
		{name: "generator in a subdirectory", k: header + "generators:\n  - sub/clusterpair.yaml\n", wantErr: build.ErrUnsupported, want: []string{`"sub/clusterpair.yaml" is not a file next to the kustomization`}},
		{name: "generator outside", k: header + "generators:\n  - ../clusterpair.yaml\n", wantErr: build.ErrUnsupported, want: []string{"not a file next to the kustomization"}},
		{name: "generator absolute", k: header + "generators:\n  - /etc/passwd\n", wantErr: build.ErrUnsupported, want: []string{"not a file next to the kustomization"}},
		{name: "generator URL", k: header + "generators:\n  - https://127.0.0.1:1/g.yaml\n", wantErr: build.ErrUnsupported, want: []string{"no directory, URL, remote base"}},
		{name: "generator remote base", k: header + "generators:\n  - github.com/evil/repo//gen?ref=v1\n", wantErr: build.ErrUnsupported, want: []string{"not a file next to the kustomization"}},
		{name: "generator inline", k: header + "generators:\n  - |\n    apiVersion: v1\n    kind: ConfigMap\n", wantErr: build.ErrUnsupported, want: []string{"no inline generator config"}},
		{name: "generator is a directory", k: header + "generators:\n  - sub\n", extra: map[string]string{"sub/kustomization.yaml": gen}, want: []string{"generators[0]", "directory"}},
		{name: "generator missing", k: header + "generators:\n  - missing.yaml\n", want: []string{"generators[0]", "missing.yaml", "not found"}},
		{name: "generator that is another function", k: header + "generators:\n  - gen.yaml\n", extra: map[string]string{"gen.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./pwn.sh\n"}, wantErr: build.ErrUnsupported, want: []string{"document 1 of gen.yaml is a v1 ConfigMap", "runs no other generator"}},
		{name: "a request and something else", k: header + "generators:\n  - gen.yaml\n", extra: map[string]string{"gen.yaml": "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: x\n---\napiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: y\n"}, wantErr: build.ErrUnsupported, want: []string{"document 2 of gen.yaml"}},
		{name: "generator file holds nothing", k: header + "generators:\n  - gen.yaml\n", extra: map[string]string{"gen.yaml": "# nothing\n"}, wantErr: build.ErrEmptyRender, want: []string{"hold no ClusterPairRequest"}},
		{name: "generator not YAML", k: header + "generators:\n  - gen.yaml\n", extra: map[string]string{"gen.yaml": "a: [\n"}, want: []string{"is not a stream of Kubernetes objects"}},
		{name: "kustomization not YAML", k: "generators: [\n", want: []string{"kustomization.yaml"}},
		{name: "kustomization with too many nodes", k: gen + "# " + strings.Repeat(",", secrets.MaxInputSeparators+1) + "\n", want: []string{"YAML separators"}},
		{name: "a request that fails", extra: map[string]string{"clusterpair.yaml": "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: dr-west\n  namespace: app\nspec:\n  mode: async-dr\n  destination:\n    kubeconfig:\n      file: ../escape.yaml\n"}, wantErr: build.ErrFailed},
		{name: "a request in another version", extra: map[string]string{"clusterpair.yaml": "apiVersion: fn.clusterpair.dev/v1beta9\nkind: ClusterPairRequest\nmetadata:\n  name: dr-west\n"}, wantErr: build.ErrFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := pairDir(t, c.k, c.extra)
			if c.remove != "" {
				if err := os.Remove(filepath.Join(dir, c.remove)); err != nil {
					t.Fatal(err)
				}
			}
			r, log, err := run(t, dir, build.Options{})
			if err == nil {
				t.Fatalf("rendered %d objects", len(r.Objects))
			}
			if r != nil {
				t.Error("a failed run returned a render")
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("error %v, want %v", err, c.wantErr)
			}
			secretstest.AssertContains(t, err.Error()+log, c.want...)
			secretstest.AssertNoSecret(t, err.Error()+log, secretstest.Canaries(t)...)
		})
	}
}

// TestRunFindingsAreLogged: a request that does not render says why on the
// log, naming the request, field and file.
func TestRunFindingsAreLogged(t *testing.T) {
	dir := pairDir(t, "", map[string]string{"clusterpair.yaml": "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: dr-west\n  namespace: app\nspec:\n  mode: async-dr\n  destination:\n    kubeconfig:\n      file: ../escape.yaml\n"})
	_, log, err := run(t, dir, build.Options{})
	if !errors.Is(err, build.ErrFailed) {
		t.Fatalf("error %v", err)
	}
	secretstest.AssertContains(t, log, "clusterpair-fn: error: ClusterPairRequest app/dr-west (clusterpair.yaml): spec.destination.kubeconfig.file")
}

// TestRunEncryption: --refuse-encrypted refuses an encrypted object (Argo
// CD would apply the ciphertext); --require-encrypted refuses a plaintext
// one (a render committed to Git), naming the object; together they are
// refused.
func TestRunEncryption(t *testing.T) {
	encrypted := pairDir(t, "", nil)
	req, err := os.ReadFile(filepath.Join(encrypted, "clusterpair.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	recipient := testenv.Recipient(t, testenv.DemoKeyFile())
	if err := os.WriteFile(filepath.Join(encrypted, "clusterpair.yaml"), append(req, []byte("  output:\n    encrypt:\n      age: ["+recipient+"]\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if testsops.Lean {
		// The lean build hands encryption over to the full one.
		if _, _, err := run(t, encrypted, build.Options{}); err == nil || !strings.Contains(err.Error(), "full") {
			t.Fatalf("lean encryption: %v", err)
		}
		return
	}
	r, log, err := run(t, encrypted, build.Options{RequireEncrypted: true})
	if err != nil {
		t.Fatalf("an encrypted render with --require-encrypted: %v\n%s", err, log)
	}
	if len(r.Encrypted) != 1 || !strings.Contains(string(r.Output), "sops:") {
		t.Fatalf("not encrypted: %v", r.Encrypted)
	}
	_, _, err = run(t, encrypted, build.Options{RefuseEncrypted: true})
	if !errors.Is(err, build.ErrEncryptedRender) {
		t.Fatalf("--refuse-encrypted: %v", err)
	}
	secretstest.AssertContains(t, err.Error(), "ClusterPairRequest app/dr-west", "Argo CD cannot decrypt")
	_, _, err = run(t, pairDir(t, "", nil), build.Options{RequireEncrypted: true})
	if !errors.Is(err, build.ErrPlaintextRender) {
		t.Fatalf("--require-encrypted on plaintext: %v", err)
	}
	secretstest.AssertContains(t, err.Error(), "ClusterPair app/dr-west", "spec.output.encrypt")
	if _, _, err := run(t, encrypted, build.Options{RefuseEncrypted: true, RequireEncrypted: true}); err == nil || !strings.Contains(err.Error(), "exclusive") {
		t.Fatalf("both: %v", err)
	}
}

// TestRunReadsOnlyInsideDir: a generator or kustomization reached through a
// symlink that leaves the directory is not read.
func TestRunReadsOnlyInsideDir(t *testing.T) {
	outside := pairDir(t, "", nil)
	for _, name := range []string{"clusterpair.yaml", "kustomization.yaml"} {
		t.Run(name, func(t *testing.T) {
			dir := pairDir(t, "", nil)
			target := filepath.Join(dir, name)
			if err := os.Remove(target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(outside, name), target); err != nil {
				t.Fatal(err)
			}
			_, log, err := run(t, dir, build.Options{})
			if err == nil {
				t.Fatal("rendered through a symlink out of the directory")
			}
			secretstest.AssertContains(t, err.Error()+log, name)
		})
	}
}

// countingDecryptor counts the files it is asked to decrypt.
type countingDecryptor struct {
	secrets.Decryptor
	n *int
}

func (d countingDecryptor) Decrypt(file string, data []byte, format secrets.Format) (*secrets.Document, error) {
	*d.n++
	return d.Decryptor.Decrypt(file, data, format)
}

// TestRefuseEncryptedReadsNothing (found by review): with
// --refuse-encrypted (the Argo CD plugin), a request that sets
// spec.output.encrypt is refused before any file is decrypted: its render
// could only be refused, and rendering it would encrypt (starting gpg for
// PGP recipients, contacting key services, in the lean build through the
// full one) first.
func TestRefuseEncryptedReadsNothing(t *testing.T) {
	for _, field := range []string{"  output:\n    encrypt:\n      age: [AGE]\n", "  reverse:\n    output:\n      encrypt:\n        age: [AGE]\n"} {
		dir := pairDir(t, "", nil)
		req, err := os.ReadFile(filepath.Join(dir, "clusterpair.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		field = strings.ReplaceAll(field, "AGE", testenv.Recipient(t, testenv.DemoKeyFile()))
		if err := os.WriteFile(filepath.Join(dir, "clusterpair.yaml"), append(req, field...), 0o644); err != nil {
			t.Fatal(err)
		}
		testenv.UseDemoKey(t)
		decrypted := 0
		_, err = build.Run(build.Options{Dir: dir, RefuseEncrypted: true, Processor: fn.Processor{
			Decryptor: countingDecryptor{testsops.NewDecryptor(), &decrypted}, Encryptor: testsops.NewEncryptor(), Log: io.Discard}})
		if !errors.Is(err, build.ErrEncryptedRender) {
			t.Fatalf("err = %v", err)
		}
		secretstest.AssertContains(t, err.Error(), "ClusterPairRequest app/dr-west (clusterpair.yaml)", "nothing was decrypted")
		if decrypted != 0 {
			t.Errorf("%d files decrypted before the refusal", decrypted)
		}
	}
}
