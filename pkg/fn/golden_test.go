package fn_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// TestGolden runs every case under testdata/golden as kustomize runs a
// generator: the request is the functionConfig and a local-config copy of it
// is the only item. The case directory holds request.yaml and, optionally, a
// file "key" naming the age key available (demo, other or none; default
// demo), a file "side" selecting the side of a bidirectional pair and a file
// "now" fixing the render time (RFC 3339; default: the real clock). The function's stdout and stderr are compared with expected.yaml and
// expected.stderr (UPDATE_GOLDEN=1 rewrites them). Every case is also checked
// for leaks: no plaintext secret of any fixture may appear on stderr, in the
// results, or anywhere on stdout of a failing case.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(testenv.Path("testdata", "golden", "*"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	known := fixtureSecrets(t)
	for _, dir := range cases {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			stdout, stderr, runErr := runCase(t, dir)
			wantFail := strings.HasPrefix(name, "err-")
			if wantFail != (runErr != nil) {
				t.Fatalf("case %s: error = %v, want failure %v\nstderr:\n%s", name, runErr, wantFail, stderr)
			}
			if runErr != nil && !errors.Is(runErr, fn.ErrFailed) {
				t.Fatalf("unexpected error kind: %v", runErr)
			}
			assertNoSecrets(t, "stderr", stderr, known)
			if wantFail {
				assertNoSecrets(t, "stdout", stdout, known)
				if strings.Contains(stdout, "kind: ClusterPair\n") {
					t.Errorf("a failing case rendered a ClusterPair:\n%s", stdout)
				}
			} else {
				rl, err := sdk.ParseResourceList([]byte(stdout))
				if err != nil {
					t.Fatal(err)
				}
				results, _ := yamlOf(rl.Results)
				assertNoSecrets(t, "results", results, known)
			}
			testenv.CompareGolden(t, filepath.Join(dir, "expected.yaml"), stdout)
			testenv.CompareGolden(t, filepath.Join(dir, "expected.stderr"), stderr)
		})
	}
}

// runCase copies the shared fixtures and the case into a temp dir and runs
// the function there.
func runCase(t *testing.T, dir string) (string, string, error) {
	t.Helper()
	work := t.TempDir()
	testenv.CopyDir(t, testenv.Path("testdata", "secrets"), work)
	testenv.CopyDir(t, dir, work)
	switch key := readKey(t, dir); key {
	case "demo":
		testenv.UseDemoKey(t)
	case "other":
		testenv.Isolate(t)
		t.Setenv("SOPS_AGE_KEY_FILE", testenv.OtherKeyFile())
	case "none":
		testenv.Isolate(t)
	default:
		t.Fatalf("unknown key %q", key)
	}
	request, err := os.ReadFile(filepath.Join(dir, "request.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	input := generatorInput(t, request)
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: work, Log: &stderr, Side: transform.Side(readOptional(t, dir, "side"))}
	if now := readOptional(t, dir, "now"); now != "" {
		at, err := time.Parse(time.RFC3339, now)
		if err != nil {
			t.Fatalf("case %s: now: %v", dir, err)
		}
		p.Now = func() time.Time { return at }
	}
	runErr := fn.Run(p, bytes.NewReader(input), &stdout)
	// Messages may name the directory; make goldens independent of it.
	norm := func(s string) string { return strings.ReplaceAll(s, work, "$WORK") }
	return norm(stdout.String()), norm(stderr.String()), runErr
}

func readKey(t *testing.T, dir string) string {
	if key := readOptional(t, dir, "key"); key != "" {
		return key
	}
	return "demo"
}

// readOptional returns the trimmed content of a case's file, or "".
func readOptional(t *testing.T, dir, name string) string {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// generatorInput builds the ResourceList kustomize gives a generator.
func generatorInput(t *testing.T, request []byte) []byte {
	t.Helper()
	fc, err := sdk.ParseKubeObject(request)
	if err != nil {
		t.Fatal(err)
	}
	item, err := sdk.ParseKubeObject(request)
	if err != nil {
		t.Fatal(err)
	}
	if err := item.SetAnnotation("config.kubernetes.io/local-config", "true"); err != nil {
		t.Fatal(err)
	}
	rl := &sdk.ResourceList{Items: sdk.KubeObjects{item}, FunctionConfig: fc}
	out, err := rl.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
