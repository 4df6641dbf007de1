package argocd_test

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/crdschema"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

func loadCRD(t *testing.T, file string) *crdschema.CRD {
	t.Helper()
	c, err := crdschema.Load(crdPath(t, file))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestArgoCDObjectsMatchCRDs validates every Argo CD object of the example
// against the real Argo CD CRD schemas (offline; the API-server suite
// applies them too).
func TestArgoCDObjectsMatchCRDs(t *testing.T) {
	crds := map[string]*crdschema.CRD{
		"Application":    loadCRD(t, "argoproj.io_application-crd.yaml"),
		"ApplicationSet": loadCRD(t, "argoproj.io_applicationset-crd.yaml"),
		"AppProject":     loadCRD(t, "argoproj.io_appproject-crd.yaml"),
	}
	files := []string{
		example("apps", "application.yaml"),
		example("apps", "applicationset.yaml"),
		example("apps", "appproject.yaml"),
	}
	seen := map[string]bool{}
	for _, f := range files {
		for _, obj := range readObjects(t, f) {
			kind, _ := obj["kind"].(string)
			crd := crds[kind]
			if crd == nil {
				t.Errorf("%s: unexpected kind %s", f, kind)
				continue
			}
			seen[kind] = true
			if errs := crd.Validate(obj); len(errs) > 0 {
				t.Errorf("%s: %s is invalid:\n  %s", f, kind, strings.Join(errs, "\n  "))
			}
		}
	}
	for kind := range crds {
		if !seen[kind] {
			t.Errorf("no %s example was validated", kind)
		}
	}
}

// TestCRDValidationRejectsMistakes proves the validation above can fail:
// typical mistakes in the example Application must be reported.
func TestCRDValidationRejectsMistakes(t *testing.T) {
	crd := loadCRD(t, "argoproj.io_application-crd.yaml")
	cases := []struct {
		name string
		edit func(app map[string]any)
		want string
	}{
		{"misspelled field", func(a map[string]any) {
			src := get(a, "spec", "source").(map[string]any)
			src["pluginn"] = src["plugin"]
			delete(src, "plugin")
		}, `spec.source.pluginn: unknown field "pluginn"`},
		{"wrong type", func(a map[string]any) {
			get(a, "spec", "syncPolicy", "automated").(map[string]any)["prune"] = "yes"
		}, `spec.syncPolicy.automated.prune: Invalid value: "yes": must be a boolean`},
		{"list instead of string", func(a map[string]any) {
			get(a, "spec", "destination").(map[string]any)["namespace"] = []any{"app"}
		}, `spec.destination.namespace: Invalid value: ["app"]: must be a string`},
		{"missing required field", func(a map[string]any) {
			delete(get(a, "spec").(map[string]any), "destination")
		}, `spec.destination: Required value`},
		{"required field of an item", func(a map[string]any) {
			delete(get(a, "spec", "ignoreDifferences", 0).(map[string]any), "kind")
		}, `spec.ignoreDifferences[0].kind: Required value`},
		{"misplaced field", func(a map[string]any) {
			a["spec"].(map[string]any)["plugin"] = map[string]any{"name": "clusterpair-fn"}
		}, `spec.plugin: unknown field "plugin"`},
		{"wrong group", func(a map[string]any) { a["apiVersion"] = "argoproj.io/v1" }, `version "v1" of argoproj.io is not served`},
		{"bad name", func(a map[string]any) { a["metadata"].(map[string]any)["name"] = "ClusterPair_dr-west" }, `metadata.name: Invalid value`},
		{"unknown metadata field", func(a map[string]any) { a["metadata"].(map[string]any)["label"] = map[string]any{} }, `metadata.label: unknown field`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := readObject(t, example("apps", "application.yaml"))
			if errs := crd.Validate(app); len(errs) > 0 {
				t.Fatalf("the example is invalid before the edit: %v", errs)
			}
			c.edit(app)
			errs := crd.Validate(app)
			if !strings.Contains(strings.Join(errs, "\n"), c.want) {
				t.Errorf("errors %q lack %q", errs, c.want)
			}
		})
	}
}

// TestCRDValidationRejectsMistakesInSetAndProject does the same for the
// ApplicationSet (down into its template) and the AppProject.
func TestCRDValidationRejectsMistakesInSetAndProject(t *testing.T) {
	cases := []struct {
		crd, file string
		edit      func(o map[string]any)
		want      string
	}{
		{"argoproj.io_applicationset-crd.yaml", "applicationset.yaml", func(o map[string]any) {
			get(o, "spec", "template", "spec", "source").(map[string]any)["targetRevison"] = "HEAD"
		}, `spec.template.spec.source.targetRevison: unknown field "targetRevison"`},
		{"argoproj.io_applicationset-crd.yaml", "applicationset.yaml", func(o map[string]any) {
			get(o, "spec", "generators", 0, "git").(map[string]any)["files"] = "examples/argocd/pairs/*/pair.yaml"
		}, `spec.generators[0].git.files: Invalid value: "examples/argocd/pairs/*/pair.yaml": must be an array`},
		{"argoproj.io_applicationset-crd.yaml", "applicationset.yaml", func(o map[string]any) {
			get(o, "spec", "syncPolicy").(map[string]any)["applicationsSync"] = "create-and-delete"
		}, `spec.syncPolicy.applicationsSync: Unsupported value: "create-and-delete"`},
		{"argoproj.io_appproject-crd.yaml", "appproject.yaml", func(o map[string]any) {
			get(o, "spec", "namespaceResourceWhitelist", 0).(map[string]any)["kinds"] = "ClusterPair"
		}, `spec.namespaceResourceWhitelist[0].kinds: unknown field "kinds"`},
		{"argoproj.io_appproject-crd.yaml", "appproject.yaml", func(o map[string]any) {
			get(o, "spec").(map[string]any)["destinations"] = map[string]any{"name": "*"}
		}, `spec.destinations: Invalid value: {"name":"*"}: must be an array`},
	}
	for _, c := range cases {
		crd := loadCRD(t, c.crd)
		obj := readObject(t, example("apps", c.file))
		if errs := crd.Validate(obj); len(errs) > 0 {
			t.Fatalf("%s is invalid before the edit: %v", c.file, errs)
		}
		c.edit(obj)
		if errs := crd.Validate(obj); !strings.Contains(strings.Join(errs, "\n"), c.want) {
			t.Errorf("%s: errors %q lack %q", c.file, errs, c.want)
		}
	}
}

// gitFileParams are the goTemplate parameter sets the git files generator
// makes of one file: one per element when the file holds a list, each with
// the element's keys and path.{path,basename,filename,basenameNormalized,
// filenameNormalized,segments}.
func gitFileParams(t *testing.T, file string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(testenv.Path(file))
	if err != nil {
		t.Fatal(err)
	}
	var elems []map[string]any
	if err := yaml.Unmarshal(data, &elems); err != nil {
		t.Fatalf("%s: want a list of parameter sets: %v", file, err)
	}
	dir := path.Dir(file)
	var out []map[string]any
	for _, params := range elems {
		if _, clash := params["path"]; clash {
			t.Fatalf("%s: the key path is reserved by the git files generator", file)
		}
		params["path"] = map[string]any{
			"path":               dir,
			"basename":           path.Base(dir),
			"filename":           path.Base(file),
			"basenameNormalized": normalize(path.Base(dir)),
			"filenameNormalized": normalize(path.Base(file)),
			"segments":           strings.Split(dir, "/"),
		}
		out = append(out, params)
	}
	return out
}

var invalidNameChars = regexp.MustCompile(`[^a-z0-9.-]+`)

// normalize is the ApplicationSet's SanitizeName for the simple names used here.
func normalize(s string) string {
	return strings.Trim(invalidNameChars.ReplaceAllString(strings.ToLower(s), "-"), "-.")
}

// render executes every string of the template as a Go template with
// missingkey=error, as the ApplicationSet controller does with goTemplate.
func render(t *testing.T, v any, params map[string]any) any {
	t.Helper()
	switch v := v.(type) {
	case string:
		tmpl, err := template.New("").Option("missingkey=error").Parse(v)
		if err != nil {
			t.Fatalf("template %q: %v", v, err)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, params); err != nil {
			t.Fatalf("template %q: %v", v, err)
		}
		return b.String()
	case map[string]any:
		out := map[string]any{}
		for k, item := range v {
			out[k] = render(t, item, params)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = render(t, item, params)
		}
		return out
	}
	return v
}

// TestApplicationSetGeneratesOneApplicationPerPair renders the
// ApplicationSet over the pairs in this repository, validates each
// generated Application against the Application CRD and checks that it
// renders the pair's directory with the plugin, for its side, on the right
// cluster.
func TestApplicationSetGeneratesOneApplicationPerPair(t *testing.T) {
	appCRD := loadCRD(t, "argoproj.io_application-crd.yaml")
	set := readObject(t, example("apps", "applicationset.yaml"))
	if get(set, "spec", "goTemplate") != true {
		t.Fatal("the ApplicationSet must use goTemplate")
	}
	if opts := fmt.Sprint(get(set, "spec", "goTemplateOptions")); opts != "[missingkey=error]" {
		t.Errorf("goTemplateOptions = %s, want [missingkey=error]", opts)
	}
	glob, _ := get(set, "spec", "generators", 0, "git", "files", 0, "path").(string)
	files, err := filepath.Glob(testenv.Path(glob))
	if err != nil || len(files) < 2 {
		t.Fatalf("generator path %q matches %v (%v); want the example pairs", glob, files, err)
	}
	plugin := get(readObject(t, example("cmp", "plugin.yaml")), "metadata", "name")
	names := map[string]bool{}
	generated := 0
	for _, f := range files {
		rel, _ := filepath.Rel(testenv.RepoRoot(), f)
		rel = filepath.ToSlash(rel)
		for _, params := range gitFileParams(t, rel) {
			t.Run(rel+"/"+fmt.Sprint(params["side"]), func(t *testing.T) {
				tmpl := get(set, "spec", "template").(map[string]any)
				app := render(t, tmpl, params).(map[string]any)
				app["apiVersion"], app["kind"] = "argoproj.io/v1alpha1", "Application"
				app["metadata"].(map[string]any)["namespace"] = get(set, "metadata", "namespace")
				if errs := appCRD.Validate(app); len(errs) > 0 {
					t.Fatalf("generated Application is invalid:\n  %s", strings.Join(errs, "\n  "))
				}
				generated++
				name := get(app, "metadata", "name").(string)
				if names[name] {
					t.Errorf("two entries generate the Application %s", name)
				}
				names[name] = true
				dir := path.Dir(rel)
				if got := get(app, "spec", "source", "path"); got != dir {
					t.Errorf("source.path = %v, want %s", got, dir)
				}
				if got := get(app, "spec", "source", "plugin", "name"); got != plugin {
					t.Errorf("source.plugin.name = %v, want the plugin %v", got, plugin)
				}
				env := fmt.Sprint(get(app, "spec", "source", "plugin", "env"))
				if want := fmt.Sprintf("map[name:CLUSTERPAIR_SIDE value:%v]", params["side"]); !strings.Contains(env, want) {
					t.Errorf("plugin env %s lacks %s", env, want)
				}
				if got := get(app, "spec", "destination", "name"); got != params["cluster"] {
					t.Errorf("destination.name = %v, want %v", got, params["cluster"])
				}
				if got := get(app, "spec", "destination", "namespace"); got != params["namespace"] {
					t.Errorf("destination.namespace = %v, want %v", got, params["namespace"])
				}
			})
		}
	}
	if generated < 3 {
		t.Errorf("generated %d Applications; the example fleet has a one-way and a bidirectional pair (3)", generated)
	}
}

// TestApplicationsFitTheProject checks the Applications against the
// AppProject they name: source repository, destination namespace and the
// ClusterPair kind must all be allowed, and the sync options must keep the
// credentials out of last-applied-configuration.
func TestApplicationsFitTheProject(t *testing.T) {
	proj := readObject(t, example("apps", "appproject.yaml"))
	set := readObject(t, example("apps", "applicationset.yaml"))
	specs := map[string]map[string]any{
		"apps/application.yaml":    get(readObject(t, example("apps", "application.yaml")), "spec").(map[string]any),
		"apps/applicationset.yaml": get(set, "spec", "template", "spec").(map[string]any),
	}
	repos := fmt.Sprint(get(proj, "spec", "sourceRepos"))
	whitelist := fmt.Sprint(get(proj, "spec", "namespaceResourceWhitelist"))
	if !strings.Contains(whitelist, "kind:ClusterPair") || !strings.Contains(whitelist, "group:stork.libopenstorage.org") {
		t.Errorf("the project does not allow ClusterPairs: %s", whitelist)
	}
	if n := len(get(proj, "spec", "clusterResourceWhitelist").([]any)); n != 0 {
		t.Errorf("the project allows %d cluster-scoped kinds; want none", n)
	}
	allowed := map[string]bool{}
	for _, d := range get(proj, "spec", "destinations").([]any) {
		allowed[fmt.Sprint(get(d, "namespace"))] = true
	}
	pairs, _ := filepath.Glob(example("pairs", "*", "pair.yaml"))
	for _, f := range pairs {
		for _, e := range readPairFile(t, f) {
			if !allowed[e.Namespace] {
				t.Errorf("%s: namespace %s is not a destination of the project", f, e.Namespace)
			}
		}
	}
	for file, spec := range specs {
		if spec["project"] != get(proj, "metadata", "name") {
			t.Errorf("%s: project %v, want %v", file, spec["project"], get(proj, "metadata", "name"))
		}
		if repo, _ := get(spec, "source", "repoURL").(string); !strings.Contains(repos, repo) {
			t.Errorf("%s: repo %s is not in the project's sourceRepos %s", file, repo, repos)
		}
		if ns := fmt.Sprint(get(spec, "destination", "namespace")); !strings.Contains(ns, "{{") && !allowed[ns] {
			t.Errorf("%s: destination namespace %v not allowed by the project", file, ns)
		}
		opts := fmt.Sprint(get(spec, "syncPolicy", "syncOptions"))
		if !strings.Contains(opts, "ServerSideApply=true") {
			t.Errorf("%s: syncOptions %s lack ServerSideApply=true", file, opts)
		}
		if get(spec, "syncPolicy", "automated", "allowEmpty") == true {
			t.Errorf("%s: allowEmpty would let an empty render prune the pair", file)
		}
		ignore := fmt.Sprint(get(spec, "ignoreDifferences"))
		if !strings.Contains(ignore, "/metadata/finalizers") || !strings.Contains(ignore, "kind:ClusterPair") {
			t.Errorf("%s: ignoreDifferences %s lack the ClusterPair finalizers", file, ignore)
		}
	}
}
