package reqschema_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/crdschema"
	"github.com/clusterpair-fn/clusterpair-fn/internal/reqschema"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

func loadCRD(t *testing.T) *crdschema.CRD {
	t.Helper()
	c, err := crdschema.Load(testenv.Path(reqschema.CRDFile))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestJSONSchemaIsUpToDate: the committed JSON Schema is what the committed
// CRD yields (make schema regenerates both).
func TestJSONSchemaIsUpToDate(t *testing.T) {
	crd, err := os.ReadFile(testenv.Path(reqschema.CRDFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := reqschema.JSONSchema(crd)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(testenv.Path(reqschema.JSONSchemaFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run make schema", reqschema.JSONSchemaFile)
	}
}

// fields lists the JSON field paths of a Go type, as Decode reads them.
func fields(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(metav1.ObjectMeta{}) || t == reflect.TypeOf(v1alpha1.ProjectMappings{}) {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" && (opts == "inline" || f.Anonymous) {
			fields(f.Type, prefix, out)
			continue
		}
		out[prefix+name] = true
		fields(f.Type, prefix+name+".", out)
	}
}

// schemaFields lists the property paths of a CRD schema.
func schemaFields(s *crdschema.Schema, prefix string, out map[string]bool) {
	if s == nil {
		return
	}
	if s.Items != nil {
		schemaFields(s.Items, prefix, out)
	}
	for name, p := range s.Properties {
		out[prefix+name] = true
		if prefix == "" && name == "metadata" {
			continue
		}
		schemaFields(p, prefix+name+".", out)
	}
}

// TestSchemaCoversTheGoTypes: every field of the Go types is in the
// schema and the schema has no field the types lack (make schema after
// changing pkg/api/v1alpha1).
func TestSchemaCoversTheGoTypes(t *testing.T) {
	goFields := map[string]bool{}
	fields(reflect.TypeOf(v1alpha1.ClusterPairRequest{}), "", goFields)
	crdFields := map[string]bool{}
	schemaFields(loadCRD(t).Versions[v1alpha1.Version], "", crdFields)
	var missing, extra []string
	for f := range goFields {
		if !crdFields[f] {
			missing = append(missing, f)
		}
	}
	for f := range crdFields {
		if !goFields[f] {
			extra = append(extra, f)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("schema out of step with pkg/api/v1alpha1 (run make schema): missing %v, extra %v", missing, extra)
	}
	if len(goFields) < 20 {
		t.Errorf("only %d fields found in the Go types", len(goFields))
	}
}

// exampleRequests returns every plaintext ClusterPairRequest document
// under examples/, by file.
func exampleRequests(t *testing.T) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	err := filepath.WalkDir(testenv.Path("examples"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".yml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, []byte("kind: ClusterPairRequest")) {
			return nil
		}
		for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			var m map[string]any
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if m["kind"] == v1alpha1.Kind {
				out[p] = append(out[p], m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("found only %d example request files", len(out))
	}
	return out
}

var modeline = regexp.MustCompile(`(?m)^# yaml-language-server: \$schema=(\S+)$`)

// TestExamplesValidateAndCarryTheModeline: every example request is valid
// against the schema, and its file names the JSON Schema for editors.
func TestExamplesValidateAndCarryTheModeline(t *testing.T) {
	crd := loadCRD(t)
	for file, docs := range exampleRequests(t) {
		rel, _ := filepath.Rel(testenv.RepoRoot(), file)
		for _, doc := range docs {
			if errs := crd.Validate(doc); len(errs) > 0 {
				t.Errorf("%s: invalid against %s:\n  %s", rel, reqschema.CRDFile, strings.Join(errs, "\n  "))
			}
		}
		data, _ := os.ReadFile(file)
		m := modeline.FindSubmatch(data)
		if m == nil {
			t.Errorf("%s: no yaml-language-server $schema modeline", rel)
			continue
		}
		target := filepath.Join(filepath.Dir(file), string(m[1]))
		if want := testenv.Path(reqschema.JSONSchemaFile); target != want {
			t.Errorf("%s: modeline points at %s, want %s", rel, m[1], want)
		}
	}
}

// TestSchemaRejectsMistakes: a misspelled field, a wrong type and an
// unknown mode fail validation.
func TestSchemaRejectsMistakes(t *testing.T) {
	crd := loadCRD(t)
	base := func() map[string]any {
		var m map[string]any
		data, err := os.ReadFile(testenv.Path("examples", "kustomize", "clusterpair.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	spec := func(m map[string]any) map[string]any { return m["spec"].(map[string]any) }
	cases := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"misspelled field", func(m map[string]any) {
			s := spec(m)
			s["destinaton"] = s["destination"]
			delete(s, "destination")
		}, `spec.destinaton: unknown field "destinaton"`},
		{"misspelled nested field", func(m map[string]any) {
			spec(m)["storage"].(map[string]any)["tokn"] = map[string]any{"file": "x"}
		}, `spec.storage.tokn: unknown field "tokn"`},
		{"wrong type", func(m map[string]any) { spec(m)["storage"].(map[string]any)["port"] = "9001" }, `spec.storage.port`},
		{"unknown mode", func(m map[string]any) { spec(m)["mode"] = "dr" }, `spec.mode: Unsupported value: "dr"`},
		{"unknown GitOps engine", func(m map[string]any) { spec(m)["gitopsEngines"] = []any{"flux", "fluxcd"} }, `spec.gitopsEngines[1]: Unsupported value: "fluxcd"`},
		{"GitOps engines not a list", func(m map[string]any) { spec(m)["gitopsEngines"] = "flux" }, `spec.gitopsEngines`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base()
			if errs := crd.Validate(m); len(errs) > 0 {
				t.Fatalf("the example is invalid before the edit: %v", errs)
			}
			c.edit(m)
			if errs := crd.Validate(m); !strings.Contains(strings.Join(errs, "\n"), c.want) {
				t.Errorf("errors %q lack %q", errs, c.want)
			}
		})
	}
}
