package crdschema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/crdschema"
)

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        required: [metadata, spec]
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer}
              ratio: {type: number}
              enabled: {type: boolean}
              mode: {type: string, enum: [fast, slow]}
              name: {type: string, minLength: 2, maxLength: 5, pattern: '^[a-z]+$'}
              port:
                anyOf: [{type: integer}, {type: string}]
                x-kubernetes-int-or-string: true
              tags: {type: array, items: {type: string}}
              labels: {type: object, additionalProperties: {type: string}}
              anything: {type: object, additionalProperties: true}
              values: {type: object, x-kubernetes-preserve-unknown-fields: true}
              optional: {type: string, nullable: true}
              either:
                anyOf: [{type: string, enum: [a]}, {type: string, enum: [b]}]
  - name: v2
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
`

func load(t *testing.T, scope string) *crdschema.CRD {
	t.Helper()
	p := filepath.Join(t.TempDir(), "crd.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(crd, "Namespaced", scope, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := crdschema.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const valid = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w-1
  namespace: ns
  labels: {a: b}
  annotations: {c: d}
  finalizers: [example.com/f]
spec:
  size: 3
  ratio: 0.5
  enabled: true
  mode: fast
  name: abc
  port: 8080
  tags: [x, z]
  labels: {k: v}
  anything: {x: [1, 2]}
  values: {deep: {er: 1}}
  optional: null
  either: b
`

func obj(t *testing.T, edits ...string) map[string]any {
	t.Helper()
	doc := valid
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(doc, edits[i]) {
			t.Fatalf("fixture lacks %q", edits[i])
		}
		doc = strings.Replace(doc, edits[i], edits[i+1], 1)
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValid(t *testing.T) {
	c := load(t, "Namespaced")
	if errs := c.Validate(obj(t)); len(errs) > 0 {
		t.Fatalf("valid object rejected: %v", errs)
	}
	if errs := c.Validate(obj(t, "port: 8080", `port: "http"`)); len(errs) > 0 {
		t.Errorf("int-or-string as a string rejected: %v", errs)
	}
}

func TestInvalid(t *testing.T) {
	c := load(t, "Namespaced")
	cases := []struct {
		edits []string
		want  string
	}{
		{[]string{"apiVersion: example.com/v1", "apiVersion: example.com/v2"}, `version "v2" of example.com is not served`},
		{[]string{"apiVersion: example.com/v1", "apiVersion: other.com/v1"}, `is not in group example.com`},
		{[]string{"kind: Widget", "kind: Gadget"}, `kind: "Gadget", want "Widget"`},
		{[]string{"  name: w-1\n", ""}, "metadata.name: Required value"},
		{[]string{"name: w-1", "name: W_1"}, "metadata.name: Invalid value"},
		{[]string{"namespace: ns", "namespace: Not.A.Label"}, "metadata.namespace: Invalid value"},
		{[]string{"labels: {a: b}", "labels: {a: 1}"}, "metadata.labels.a: Invalid value: must be a string"},
		{[]string{"finalizers: [example.com/f]", "finalizers: example.com/f"}, "metadata.finalizers: Invalid value"},
		{[]string{"  labels: {a: b}\n", "  labelz: {a: b}\n"}, `metadata.labelz: unknown field "labelz"`},
		{[]string{"  size: 3\n", ""}, "spec.size: Required value"},
		{[]string{"size: 3", "size: 3.5"}, "spec.size: Invalid value: 3.5: must be an integer"},
		{[]string{"size: 3", `size: "3"`}, `spec.size: Invalid value: "3": must be an integer`},
		{[]string{"ratio: 0.5", "ratio: half"}, `spec.ratio: Invalid value: "half": must be a number`},
		{[]string{"enabled: true", `enabled: "true"`}, `spec.enabled: Invalid value: "true": must be a boolean`},
		{[]string{"mode: fast", "mode: medium"}, `spec.mode: Unsupported value: "medium": supported values: "fast", "slow"`},
		{[]string{"name: abc", "name: a"}, `spec.name: Invalid value: "a": should be at least 2 chars long`},
		{[]string{"name: abc", "name: abcdef"}, "spec.name: Too long: may not be more than 5 chars"},
		{[]string{"name: abc", "name: ab1"}, `spec.name: Invalid value: "ab1": should match`},
		{[]string{"port: 8080", "port: [8080]"}, "spec.port: Invalid value: [8080]: must be an integer or a string"},
		{[]string{"tags: [x, z]", "tags: [x, 1]"}, "spec.tags[1]: Invalid value: 1: must be a string"},
		{[]string{"tags: [x, z]", "tags: x"}, `spec.tags: Invalid value: "x": must be an array`},
		{[]string{"labels: {k: v}", "labels: {k: [v]}"}, `spec.labels.k: Invalid value: ["v"]: must be a string`},
		{[]string{"either: b", "either: c"}, `spec.either: Invalid value: "c": matches none of the allowed schemas`},
		{[]string{"  size: 3\n", "  size: 3\n  colour: red\n"}, `spec.colour: unknown field "colour"`},
		{[]string{"spec:\n", "spec:\n  status: {}\n"}, `spec.status: unknown field "status"`},
		{[]string{"spec:\n", "extra: 1\nspec:\n"}, `extra: unknown field "extra"`},
	}
	for _, tc := range cases {
		errs := c.Validate(obj(t, tc.edits...))
		if !strings.Contains(strings.Join(errs, "\n"), tc.want) {
			t.Errorf("edit %q: errors %q lack %q", tc.edits, errs, tc.want)
		}
	}
}

func TestNullIsAbsent(t *testing.T) {
	c := load(t, "Namespaced")
	// A null in a non-nullable field is dropped by the API server; in a
	// required field it is then missing.
	if errs := c.Validate(obj(t, "mode: fast", "mode: null")); len(errs) > 0 {
		t.Errorf("null in an optional field: %v", errs)
	}
	if errs := c.Validate(obj(t, "size: 3", "size: null")); strings.Join(errs, "") != "spec.size: Required value" {
		t.Errorf("null in a required field: %v", errs)
	}
}

func TestClusterScoped(t *testing.T) {
	c := load(t, "Cluster")
	errs := c.Validate(obj(t))
	if len(errs) != 1 || !strings.Contains(errs[0], "metadata.namespace: Widget is cluster-scoped") {
		t.Errorf("errors = %v", errs)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"notcrd.yaml":   "apiVersion: v1\nkind: ConfigMap\n",
		"noschema.yaml": strings.Replace(crd, "    schema:\n      openAPIV3Schema:\n        type: object\n        required: [metadata, spec]", "    schemx:\n      openAPIV3Schema:\n        type: object\n        required: [metadata, spec]", 1),
		"badre.yaml":    strings.Replace(crd, "'^[a-z]+$'", "'^[a-z'", 1),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := crdschema.Load(p); err == nil {
			t.Errorf("%s loaded; want an error", name)
		}
	}
}
