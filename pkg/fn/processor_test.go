package fn_test

import (
	"bytes"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
)

func request(name, namespace, kubeconfig string, annotations ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: " + name + "\n  namespace: " + namespace + "\n")
	if len(annotations) > 0 {
		b.WriteString("  annotations:\n")
		for i := 0; i+1 < len(annotations); i += 2 {
			b.WriteString("    " + annotations[i] + ": '" + annotations[i+1] + "'\n")
		}
	}
	b.WriteString("spec:\n  mode: async-dr\n  destination:\n    kubeconfig:\n      file: " + kubeconfig + "\n  storage:\n    ip: px.example.com\n    token:\n      file: token.enc\n")
	return b.String()
}

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
  namespace: app
  annotations:
    internal.config.kubernetes.io/path: 'cm.yaml'
data:
  # a comment that must survive
  key: value
`

// resourceList assembles a ResourceList from item documents and an optional functionConfig.
func resourceList(t *testing.T, functionConfig string, items ...string) []byte {
	t.Helper()
	rl := &sdk.ResourceList{FunctionConfig: sdk.NewEmptyKubeObject()}
	for _, it := range items {
		o, err := sdk.ParseKubeObject([]byte(it))
		if err != nil {
			t.Fatal(err)
		}
		rl.Items = append(rl.Items, o)
	}
	if functionConfig != "" {
		o, err := sdk.ParseKubeObject([]byte(functionConfig))
		if err != nil {
			t.Fatal(err)
		}
		rl.FunctionConfig = o
	}
	out, err := rl.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs the function in a temp copy of the fixtures with the demo key.
func run(t *testing.T, workDir string, input []byte) (*sdk.ResourceList, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: workDir, Log: &stderr}
	err := fn.Run(p, bytes.NewReader(input), &stdout)
	rl, perr := sdk.ParseResourceList(stdout.Bytes())
	if perr != nil {
		t.Fatalf("output is not a ResourceList: %v\n%s", perr, stdout.String())
	}
	return rl, stderr.String(), err
}

func fixtureDir(t *testing.T) string {
	t.Helper()
	testenv.UseDemoKey(t)
	dir := t.TempDir()
	testenv.CopyDir(t, testenv.Path("testdata", "secrets"), dir)
	return dir
}

func countKind(rl *sdk.ResourceList, kind string) int {
	n := 0
	for _, it := range rl.Items {
		if it.GetKind() == kind {
			n++
		}
	}
	return n
}

func TestTransformerModeKeepsOtherItemsAndRendersEveryRequest(t *testing.T) {
	dir := fixtureDir(t)
	in := resourceList(t, "", configMap, request("b", "app", "kubeconfig.yaml"), request("a", "other", "kubeconfig.yaml"))
	rl, stderr, err := run(t, dir, in)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	if got := countKind(rl, "ClusterPair"); got != 2 {
		t.Fatalf("ClusterPairs = %d, want 2", got)
	}
	if got := countKind(rl, "ConfigMap"); got != 1 {
		t.Fatalf("ConfigMaps = %d, want 1 (other items must pass through)", got)
	}
	out, _ := rl.ToYAML()
	if !strings.Contains(string(out), "# a comment that must survive") {
		t.Errorf("comments of other items were lost:\n%s", out)
	}
	for _, it := range rl.Items {
		if it.GetKind() == "ClusterPairRequest" && it.GetAnnotation("config.kubernetes.io/local-config") != "true" {
			t.Errorf("request %s not marked local-config", it.GetName())
		}
	}
}

func TestRerunIsIdempotent(t *testing.T) {
	dir := fixtureDir(t)
	in := resourceList(t, "", request("a", "app", "kubeconfig.yaml", "internal.config.kubernetes.io/path", "pairs/a.yaml"), configMap)
	if err := os.MkdirAll(filepath.Join(dir, "pairs"), 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.CopyDir(t, testenv.Path("testdata", "secrets"), filepath.Join(dir, "pairs"))
	first, stderr, err := run(t, dir, in)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, stderr)
	}
	firstYAML, _ := first.ToYAML()
	second, stderr, err := run(t, dir, firstYAML)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr)
	}
	secondYAML, _ := second.ToYAML()
	if !bytes.Equal(firstYAML, secondYAML) {
		t.Errorf("second run changed the output\n--- first\n%s\n--- second\n%s", firstYAML, secondYAML)
	}
	if got := countKind(second, "ClusterPair"); got != 1 {
		t.Errorf("ClusterPairs after two runs = %d, want 1", got)
	}
	for _, it := range second.Items {
		if it.GetKind() == "ClusterPair" {
			if p := it.GetAnnotation("internal.config.kubernetes.io/path"); p != "pairs/clusterpair_a.yaml" {
				t.Errorf("path annotation = %q, want pairs/clusterpair_a.yaml", p)
			}
		}
	}
}

func TestPackagePathAnnotationLocatesFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "pkgs", "pair")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.UseDemoKey(t)
	testenv.CopyDir(t, testenv.Path("testdata", "secrets"), dir)
	// kpt render runs the function in kpt's cwd, not the package: the
	// package-path annotation places the request inside the root.
	req := request("a", "app", "kubeconfig.yaml", "internal.config.kubernetes.io/package-path", dir, "internal.config.kubernetes.io/path", "request.yaml")
	req += "  output:\n    plaintext: allow\n"
	rl, stderr, err := run(t, root, resourceList(t, req, req))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	if got := countKind(rl, "ClusterPair"); got != 1 {
		t.Fatalf("ClusterPairs = %d, want 1 (functionConfig and item are the same request)", got)
	}
}

func TestAllOrNothing(t *testing.T) {
	dir := fixtureDir(t)
	good := request("good", "app", "kubeconfig.yaml")
	bad := request("bad", "app", "kubeconfig-tampered.yaml")
	rl, stderr, err := run(t, dir, resourceList(t, "", good, bad))
	if !errors.Is(err, fn.ErrFailed) {
		t.Fatalf("err = %v, want ErrFailed", err)
	}
	if got := countKind(rl, "ClusterPair"); got != 0 {
		t.Fatalf("a failed run rendered %d ClusterPairs", got)
	}
	if !strings.Contains(stderr, "app/bad") || strings.Contains(stderr, "app/good") {
		t.Errorf("stderr must name the failing request only:\n%s", stderr)
	}
	if len(rl.Results) != 1 || rl.Results[0].ResourceRef == nil || rl.Results[0].ResourceRef.Name != "bad" {
		t.Errorf("results = %+v, want one error on request bad", rl.Results)
	}
	for _, it := range rl.Items {
		if it.GetKind() == "ClusterPairRequest" && it.GetAnnotation("config.kubernetes.io/local-config") != "" {
			t.Errorf("a failed run modified request %s", it.GetName())
		}
	}
}

func TestRefusesToReplaceForeignClusterPair(t *testing.T) {
	dir := fixtureDir(t)
	handWritten := "apiVersion: stork.libopenstorage.org/v1alpha1\nkind: ClusterPair\nmetadata:\n  name: a\n  namespace: app\nspec: {}\n"
	rl, stderr, err := run(t, dir, resourceList(t, "", request("a", "app", "kubeconfig.yaml"), handWritten))
	if !errors.Is(err, fn.ErrFailed) {
		t.Fatalf("err = %v, want ErrFailed", err)
	}
	if !strings.Contains(stderr, "did not render") {
		t.Errorf("stderr = %s", stderr)
	}
	if got := countKind(rl, "ClusterPair"); got != 1 {
		t.Errorf("ClusterPairs = %d, want the hand-written one only", got)
	}
}

func TestNoRequestIsAnError(t *testing.T) {
	dir := fixtureDir(t)
	_, stderr, err := run(t, dir, resourceList(t, "", configMap))
	if !errors.Is(err, fn.ErrFailed) || !strings.Contains(stderr, "no ClusterPairRequest") {
		t.Fatalf("err = %v, stderr = %s", err, stderr)
	}
}

func TestMalformedInput(t *testing.T) {
	for name, in := range map[string]string{
		"not yaml":      "{{{",
		"not a list":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		"items not seq": "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: 3\n",
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: t.TempDir(), Log: &stderr}
			err := fn.Run(p, strings.NewReader(in), &stdout)
			if err == nil {
				t.Fatal("want an error")
			}
			if stdout.Len() != 0 {
				t.Errorf("wrote output for bad input: %s", stdout.String())
			}
		})
	}
}

func TestDeterministicWhateverTheOrder(t *testing.T) {
	dir := fixtureDir(t)
	docs := []string{configMap}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		docs = append(docs, request(n, "app", "kubeconfig.yaml"))
	}
	var want []byte
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 100; i++ {
		rng.Shuffle(len(docs), func(a, b int) { docs[a], docs[b] = docs[b], docs[a] })
		rl, stderr, err := run(t, dir, resourceList(t, "", docs...))
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, stderr)
		}
		got, _ := rl.ToYAML()
		if want == nil {
			want = got
		} else if !bytes.Equal(want, got) {
			t.Fatalf("run %d differs from run 0", i)
		}
	}
}

func TestDuplicateRequestsAreReported(t *testing.T) {
	dir := fixtureDir(t)
	a := request("a", "app", "kubeconfig.yaml", "internal.config.kubernetes.io/path", "one.yaml")
	b := request("a", "app", "kubeconfig.yaml", "internal.config.kubernetes.io/path", "two.yaml")
	_, stderr, err := run(t, dir, resourceList(t, "", a, b))
	if !errors.Is(err, fn.ErrFailed) || !strings.Contains(stderr, "more than one ClusterPairRequest") {
		t.Fatalf("err = %v, stderr = %s", err, stderr)
	}
}
