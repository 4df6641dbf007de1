package fn

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
)

// TestWriteResourceListMatchesToYAML: the item-at-a-time writer prints
// byte for byte what the SDK's ToYAML prints.
func TestWriteResourceListMatchesToYAML(t *testing.T) {
	many := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
	for i := range 50 {
		many += fmt.Sprintf("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-%02d\n    namespace: ns-%d\n  data:\n    k: |\n      line one\n      line two\n", 49-i, i%3)
	}
	cases := map[string]string{
		"no items, no functionConfig": "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n",
		"functionConfig only":         "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fc\n  data:\n    a: b\n",
		"comments, flow style and quoting": `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
# a head comment
- apiVersion: v1 # a line comment
  kind: Secret
  metadata: {name: s, annotations: {a: "1", b: 'x'}}
  stringData:
    # inside
    k: "v"
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: d
  spec:
    template:
      spec:
        containers:
          - name: c
            args: ["--a", "--b"]
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: fc
`,
		"many items, unsorted": many,
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			rl, err := sdk.ParseResourceList([]byte(input))
			if err != nil {
				t.Fatal(err)
			}
			rl.Results = append(rl.Results, &sdk.Result{Message: "a result", Severity: sdk.Warning, ResourceRef: &sdk.ResourceRef{APIVersion: "v1", Kind: "ConfigMap", Name: "x"}})
			var streamed bytes.Buffer
			if err := writeResourceList(&streamed, rl); err != nil {
				t.Fatal(err)
			}
			want, err := rl.ToYAML()
			if err != nil {
				t.Fatal(err)
			}
			if streamed.String() != string(want) {
				t.Errorf("differs from ToYAML\n--- streamed\n%s\n--- ToYAML\n%s", streamed.String(), want)
			}
			if !strings.HasPrefix(streamed.String(), "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n") {
				t.Errorf("no envelope:\n%s", streamed.String())
			}
		})
	}
}
