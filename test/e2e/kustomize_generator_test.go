package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestKustomizeGeneratorReturnsOnlyWhatItGenerated runs the example through
// the real kustomize with the function wrapped so that its stdin and stdout
// are kept. kustomize must pass what pkg/fn recognises as a generator run
// (its local-config copy of the request as the only item, and as the
// functionConfig), the function must return only the ClusterPair, and the
// build must print the committed expectation unchanged.
func TestKustomizeGeneratorReturnsOnlyWhatItGenerated(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	dir := copyExample(t, "kustomize")
	wrap := t.TempDir()
	in, out := filepath.Join(wrap, "stdin.yaml"), filepath.Join(wrap, "stdout.yaml")
	script := "#!/bin/sh\nset -e\ncat > '" + in + "'\n'" + fnBin + "' \"$@\" < '" + in + "' > '" + out + "'\ncat '" + out + "'\n"
	if err := os.WriteFile(filepath.Join(wrap, "clusterpair-fn"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(demoKeyEnv(), "PATH="+wrap+string(os.PathListSeparator)+testenv.Path("bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := runTool(t, dir, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if r.err != nil {
		t.Fatalf("kustomize build: %v\n%s", r.err, r.stderr)
	}
	testenv.CompareGolden(t, testenv.Path("testdata", "e2e", "kustomize-example.yaml"), r.stdout)

	input := readResourceList(t, in)
	if len(input.Items) != 1 || input.Items[0].GetKind() != "ClusterPairRequest" || input.FunctionConfig.GetKind() != "ClusterPairRequest" {
		t.Fatalf("kustomize no longer passes a generator its config as the only item:\n%s", readFile(t, in))
	}
	for _, o := range []*sdk.KubeObject{input.Items[0], input.FunctionConfig} {
		if o.GetAnnotation("config.kubernetes.io/local-config") != "true" {
			t.Errorf("kustomize no longer marks the generator's config local-config:\n%s", readFile(t, in))
		}
	}
	output := readResourceList(t, out)
	var kinds []string
	for _, it := range output.Items {
		kinds = append(kinds, it.GetKind())
	}
	if strings.Join(kinds, ",") != "ClusterPair" {
		t.Errorf("the generator returned %v, want only the ClusterPair", kinds)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func readResourceList(t *testing.T, path string) *sdk.ResourceList {
	t.Helper()
	rl, err := sdk.ParseResourceList([]byte(readFile(t, path)))
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return rl
}
