package fn_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
)

const generatorRequest = `apiVersion: fn.clusterpair.dev/v1alpha1
kind: ClusterPairRequest
metadata:
  name: dr-west
  namespace: app
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: clusterpair-fn
spec:
  mode: async-dr
  destination:
    kubeconfig:
      file: kubeconfig.yaml
  storage:
    ip: px-api.west.example.com
    token:
      file: token.enc
  output:
    plaintext: allow
`

// kustomizeAnnotations are what kustomize (fnplugin) and kyaml's function
// runtime add to the generator's config: local-config on both copies, index
// and id annotations on the item.
var (
	kustomizeConfigAnnotations = [][2]string{{"config.kubernetes.io/local-config", "true"}}
	kustomizeItemAnnotations   = [][2]string{
		{"config.kubernetes.io/local-config", "true"},
		{"config.kubernetes.io/index", "0"},
		{"internal.config.kubernetes.io/index", "0"},
		{"internal.config.kubernetes.io/annotations-migration-resource-id", "0"},
		{"internal.config.kubernetes.io/id", "1"},
		{"config.k8s.io/id", "1"},
	}
)

// generatorCase describes a ResourceList as kustomize passes a generator,
// with changes.
type generatorCase struct {
	name string
	// edit changes the item and the functionConfig after kustomize's
	// annotations are set.
	edit func(t *testing.T, item, config *sdk.KubeObject)
	// extraItem adds an unrelated item.
	extraItem bool
	// dropped: the request is not echoed back.
	dropped bool
}

func TestKustomizeGeneratorReturnsOnlyWhatItGenerated(t *testing.T) {
	set := func(k, v string, onItem, onConfig bool) func(*testing.T, *sdk.KubeObject, *sdk.KubeObject) {
		return func(t *testing.T, item, config *sdk.KubeObject) {
			for _, o := range []struct {
				obj *sdk.KubeObject
				on  bool
			}{{item, onItem}, {config, onConfig}} {
				if !o.on {
					continue
				}
				var err error
				if v == "" {
					_, err = o.obj.RemoveNestedField("metadata", "annotations", k)
				} else {
					err = o.obj.SetAnnotation(k, v)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cases := []generatorCase{
		{name: "kustomize generator", dropped: true},
		{name: "legacy function annotation", dropped: true, edit: func(t *testing.T, item, config *sdk.KubeObject) {
			fnSpec := config.GetAnnotation("config.kubernetes.io/function")
			set("config.kubernetes.io/function", "", true, true)(t, item, config)
			set("config.k8s.io/function", fnSpec, true, true)(t, item, config)
		}},
		{name: "functionConfig not local-config", edit: set("config.kubernetes.io/local-config", "", false, true)},
		{name: "item not local-config", edit: set("config.kubernetes.io/local-config", "", true, false)},
		{name: "no function annotation", edit: set("config.kubernetes.io/function", "", true, true)},
		{name: "kpt render (path, package path)", edit: func(t *testing.T, item, config *sdk.KubeObject) {
			set("internal.config.kubernetes.io/path", "clusterpair.yaml", true, false)(t, item, config)
			set("config.kubernetes.io/path", "clusterpair.yaml", true, false)(t, item, config)
			set("internal.config.kubernetes.io/package-path", testenv.Path("testdata", "secrets"), true, true)(t, item, config)
		}},
		{name: "item with a file path only", edit: set("config.kubernetes.io/path", "clusterpair.yaml", true, false)},
		{name: "kustomize transformer input", edit: set("kustomize.config.k8s.io/id", "kind: ClusterPairRequest\n", true, false)},
		{name: "item differs from the functionConfig", edit: func(t *testing.T, item, _ *sdk.KubeObject) {
			if err := item.SetNestedString("px-api.east.example.com", "spec", "storage", "ip"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "item with another annotation", edit: set("example.com/note", "x", true, false)},
		{name: "item with another label", edit: func(t *testing.T, item, _ *sdk.KubeObject) {
			if err := item.SetLabel("team", "storage"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "two items", extraItem: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testenv.UseDemoKey(t)
			input := kustomizeGeneratorInput(t, c)
			var stdout, stderr bytes.Buffer
			p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: testenv.Path("testdata", "secrets"), Log: &stderr}
			if err := fn.Run(p, bytes.NewReader(input), &stdout); err != nil {
				t.Fatalf("Run: %v\n%s", err, stderr.String())
			}
			rl, err := sdk.ParseResourceList(stdout.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, it := range rl.Items {
				kinds = append(kinds, it.GetKind())
			}
			want := []string{"ClusterPairRequest", "ClusterPair"}
			switch {
			case c.dropped:
				want = []string{"ClusterPair"}
			case c.extraItem:
				want = []string{"ClusterPairRequest", "ClusterPair", "ConfigMap"} // the SDK sorts the items it writes
			}
			if strings.Join(kinds, ",") != strings.Join(want, ",") {
				t.Errorf("items are %v, want %v", kinds, want)
			}
			if rl.FunctionConfig == nil || rl.FunctionConfig.GetKind() != "ClusterPairRequest" {
				t.Errorf("the functionConfig is not returned unchanged")
			}
		})
	}
}

// TestKustomizeGeneratorFailureKeepsItsInput: a failing generator run
// returns its input items unchanged (with error results), as every failing
// run does.
func TestKustomizeGeneratorFailureKeepsItsInput(t *testing.T) {
	testenv.Isolate(t) // no key: decryption fails
	input := kustomizeGeneratorInput(t, generatorCase{})
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: testsops.NewDecryptor(), Encryptor: testsops.NewEncryptor(), Root: testenv.Path("testdata", "secrets"), Log: &stderr}
	err := fn.Run(p, bytes.NewReader(input), &stdout)
	if !errors.Is(err, fn.ErrFailed) {
		t.Fatalf("Run: %v, want ErrFailed", err)
	}
	rl, perr := sdk.ParseResourceList(stdout.Bytes())
	if perr != nil {
		t.Fatal(perr)
	}
	if len(rl.Items) != 1 || rl.Items[0].GetKind() != "ClusterPairRequest" {
		t.Errorf("a failing generator run changed its items:\n%s", stdout.String())
	}
	if len(rl.Results) == 0 {
		t.Errorf("no error results")
	}
}

// kustomizeGeneratorInput builds the ResourceList kustomize v5 passes an
// exec generator (the request, marked local-config, as functionConfig and as
// the only item), then applies the case's changes.
func kustomizeGeneratorInput(t *testing.T, c generatorCase) []byte {
	t.Helper()
	parse := func(s string) *sdk.KubeObject {
		o, err := sdk.ParseKubeObject([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	config, item := parse(generatorRequest), parse(generatorRequest)
	for _, kv := range kustomizeConfigAnnotations {
		if err := config.SetAnnotation(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range kustomizeItemAnnotations {
		if err := item.SetAnnotation(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if c.edit != nil {
		c.edit(t, item, config)
	}
	rl := &sdk.ResourceList{Items: sdk.KubeObjects{item}, FunctionConfig: config}
	if c.extraItem {
		rl.Items = append(rl.Items, parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: app\ndata:\n  k: v\n"))
	}
	out, err := rl.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
