package v1alpha1

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// docsPath locates docs/api.md from this file, whatever the working directory.
func docsPath(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "docs", "api.md")
}

var unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// apiFieldPaths returns the dotted JSON path of every field of the request
// types, intermediate objects included. Structs of this package are walked
// (embedded and ",inline" structs flattened); foreign types such as
// metav1.ObjectMeta and types with their own JSON decoding are leaves.
func apiFieldPaths() []string {
	pkg := reflect.TypeOf(ClusterPairRequest{}).PkgPath()
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" || strings.Contains(","+opts+",", ",inline,") {
				walk(ft, prefix)
				continue
			}
			if name == "" {
				name = f.Name
			}
			path := prefix + name
			out = append(out, path)
			if ft.Kind() == reflect.Struct && ft.PkgPath() == pkg && !reflect.PointerTo(ft).Implements(unmarshalerType) {
				walk(ft, path+".")
			}
		}
	}
	walk(reflect.TypeOf(ClusterPairRequest{}), "")
	// Of metav1.ObjectMeta, the request uses (and must document) these.
	out = append(out, "metadata.name", "metadata.namespace")
	sort.Strings(out)
	return out
}

// missingFromDocs returns the paths that doc does not mention in backquotes.
func missingFromDocs(doc string, paths []string) []string {
	var missing []string
	for _, p := range paths {
		if !strings.Contains(doc, "`"+p+"`") {
			missing = append(missing, p)
		}
	}
	return missing
}

// specPathRE matches a request path: "spec." not preceded by a character
// that would make it part of a longer name (such as "ClusterPair.spec.").
var specPathRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.\-/])(spec(?:\.[A-Za-z][A-Za-z0-9_]*)+)`)

// unknownInDocs returns the request paths doc mentions that are not in known.
func unknownInDocs(doc string, known []string) []string {
	set := map[string]bool{}
	for _, k := range known {
		set[k] = true
	}
	seen := map[string]bool{}
	var unknown []string
	for _, m := range specPathRE.FindAllStringSubmatch(doc, -1) {
		p := m[1]
		if !set[p] && !seen[p] {
			unknown = append(unknown, p)
		}
		seen[p] = true
	}
	return unknown
}

func TestAPIFieldPaths(t *testing.T) {
	paths := apiFieldPaths()
	// The walk must see through pointers and the inline SecretRef, and stop
	// at ProjectMappings.
	for _, want := range []string{
		"apiVersion", "kind", "metadata", "metadata.name", "metadata.namespace", "spec",
		"spec.mode",
		"spec.destination", "spec.destination.kubeconfig",
		"spec.destination.kubeconfig.file", "spec.destination.kubeconfig.key",
		"spec.destination.kubeconfig.format", "spec.destination.kubeconfig.allowUnencrypted",
		"spec.destination.kubeconfig.context", "spec.destination.kubeconfig.server",
		"spec.storage", "spec.storage.ip", "spec.storage.port", "spec.storage.token",
		"spec.storage.token.file", "spec.storage.token.key",
		"spec.storage.token.format", "spec.storage.token.allowUnencrypted",
		"spec.rancher", "spec.rancher.projectMappings",
	} {
		if i := sort.SearchStrings(paths, want); i == len(paths) || paths[i] != want {
			t.Errorf("apiFieldPaths lacks %q", want)
		}
	}
	for _, p := range paths {
		if strings.Contains(p, "SecretRef") || strings.HasPrefix(p, "spec.rancher.projectMappings.") {
			t.Errorf("apiFieldPaths has %q", p)
		}
	}
}

// The walk reaches the fields added for object stores, reverse pairs and
// output: through pointers, into secret references, through the inline
// Recipients of Encryption; list items (keyGroups, awsKms) are leaves, so
// their fields are documented in prose and tables rather than as paths.
func TestAPIFieldPathsNewFields(t *testing.T) {
	paths := apiFieldPaths()
	has := func(p string) bool {
		i := sort.SearchStrings(paths, p)
		return i < len(paths) && paths[i] == p
	}
	for _, want := range []string{
		"spec.objectStore.existing", "spec.objectStore.encryptionKey.file",
		"spec.objectStore.s3.accessKeyID.allowUnencrypted", "spec.objectStore.azure.resourceGroup",
		"spec.objectStore.google.accountKey.key", "spec.objectStore.nfs.timeoutSeconds",
		"spec.reverse.name", "spec.reverse.kubeconfig.server", "spec.reverse.storage.token.format",
		"spec.output.encrypt.age", "spec.output.encrypt.keyGroups", "spec.output.encrypt.shamirThreshold",
		"spec.reverse.output.encrypt.hcVaultTransit", "spec.reverse.output.file",
	} {
		if !has(want) {
			t.Errorf("apiFieldPaths lacks %q", want)
		}
	}
	for _, p := range paths {
		if strings.Contains(p, "Recipients") || strings.Contains(p, ".keyGroups.") || strings.Contains(p, ".awsKms.") {
			t.Errorf("apiFieldPaths has %q", p)
		}
	}
}

// The checkers catch what they are meant to catch.
func TestDocsCheckers(t *testing.T) {
	paths := []string{"spec", "spec.storage", "spec.storage.port"}
	doc := "## `spec.storage`\nThe `spec` holds `spec.storage.portx` and spec.storage.port.\n"
	if got := missingFromDocs(doc, paths); !reflect.DeepEqual(got, []string{"spec.storage.port"}) {
		t.Errorf("missingFromDocs = %v", got)
	}
	doc = "`spec.storage.port`, spec.storage.tokne. `ClusterPair.spec.options.port`, " +
		"spec.storage. (spec.gone.field) spec.storage.tokne\nspec.storage.port"
	if got := unknownInDocs(doc, paths); !reflect.DeepEqual(got, []string{"spec.storage.tokne", "spec.gone.field"}) {
		t.Errorf("unknownInDocs = %v", got)
	}
}

func TestDocsCoverAPI(t *testing.T) {
	data, err := os.ReadFile(docsPath(t))
	if err != nil {
		t.Fatalf("reading the API reference: %v", err)
	}
	doc := string(data)
	paths := apiFieldPaths()
	for _, p := range missingFromDocs(doc, paths) {
		t.Errorf("docs/api.md does not document `%s`", p)
	}
	// Misspelled on purpose, in the example of an unknown-field error.
	misspelled := []string{"spec.storage.tokne"}
	for _, p := range unknownInDocs(doc, append(paths, misspelled...)) {
		t.Errorf("docs/api.md mentions %s, which is not a field of ClusterPairRequest (write Stork paths as ClusterPair.spec...)", p)
	}
	// The mode and format vocabularies are documented in full.
	for _, m := range Modes {
		if !strings.Contains(doc, "`"+string(m)+"`") {
			t.Errorf("docs/api.md does not document mode `%s`", m)
		}
	}
	for _, e := range GitOpsEngines {
		if !strings.Contains(doc, "`"+string(e)+"`") {
			t.Errorf("docs/api.md does not document GitOps engine `%s`", e)
		}
	}
	for _, f := range SecretFormats {
		if !strings.Contains(doc, "`"+f+"`") {
			t.Errorf("docs/api.md does not document format `%s`", f)
		}
	}
	for _, s := range []string{APIVersion, Kind, "`9001`", "DisasterRecovery", "OneTimeMigration", "`port: \"9001\"`"} {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/api.md does not mention %s", s)
		}
	}
}

// Every complete request shown in docs/api.md decodes and validates without
// errors (warnings would have to be explained next to the example).
func TestDocsExamplesValidate(t *testing.T) {
	data, err := os.ReadFile(docsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	n := 0
	for _, b := range blocks {
		body := b[1]
		if !strings.Contains(body, "\nkind: ClusterPairRequest\n") {
			continue
		}
		n++
		req, fs, err := Decode([]byte(body))
		if err != nil {
			t.Errorf("example %d: %v\n%s", n, err, body)
			continue
		}
		req.Default()
		fs = append(fs, req.Validate()...)
		if len(fs) > 0 {
			t.Errorf("example %d (%s): %v", n, req.Metadata.Name, fs)
		}
	}
	if n < 4 {
		t.Errorf("found %d complete request examples in docs/api.md, want at least 4", n)
	}
}
