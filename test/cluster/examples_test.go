//go:build cluster

package cluster

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// nonAPIKinds are kinds that share an API group with a CRD (or the core
// group) but are configuration files read by a tool, not API objects: they
// have no schema on any server.
var nonAPIKinds = map[schema.GroupKind]string{
	{Group: "argoproj.io", Kind: "ConfigManagementPlugin"}: "an Argo CD plugin.yaml read by the CMP sidecar, not an API object",
	{Group: "", Kind: "Config"}:                            "a kubeconfig, not an API object",
}

// serverAPI is what the source server serves after the CRDs are installed.
type serverAPI struct {
	mapper meta.RESTMapper
	groups map[string]bool // served API groups ("" is core)
	crds   crdIndex
}

func newServerAPI(t testing.TB, s *apiServer, crds crdIndex) serverAPI {
	t.Helper()
	resources, err := restmapper.GetAPIGroupResources(s.kube.Discovery())
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]bool{}
	for _, g := range resources {
		groups[g.Group.Name] = true
	}
	return serverAPI{mapper: restmapper.NewDiscoveryRESTMapper(resources), groups: groups, crds: crds}
}

// plan decides what to do with an object of gvk: dry-run it against the
// server (with its mapping), skip it (reason), or fail (reason). Objects of
// a group with a CRD of internal/testcrds, and core and built-in kinds, are
// dry-run; kinds of groups no server serves (the function's request,
// kustomize's own config) are skipped; a kind in a served group that the
// server does not know is an error, so a typo is never skipped silently.
func (a serverAPI) plan(gvk schema.GroupVersionKind) (mapping *meta.RESTMapping, skip string, fail error) {
	if reason, ok := nonAPIKinds[gvk.GroupKind()]; ok {
		return nil, reason, nil
	}
	served := a.groups[gvk.Group] || gvk.Group == ""
	if !served && a.crds[gvk.Group] == nil {
		return nil, "group " + gvk.Group + " is not served by an API server (tool configuration)", nil
	}
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		where := "the API server"
		if a.crds[gvk.Group] != nil {
			kinds := make([]string, 0, len(a.crds[gvk.Group]))
			for k := range a.crds[gvk.Group] {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			where = fmt.Sprintf("the CRDs of group %s (kinds %s)", gvk.Group, strings.Join(kinds, ", "))
		}
		return nil, "", fmt.Errorf("%s is not served by %s: %v", gvkString(gvk), where, err)
	}
	return m, "", nil
}

// dryRun sends obj to the server as a server-side apply dry run with strict
// field validation: schema, unknown fields, admission, everything but
// storage. Namespaced objects without a namespace go to "default"; their
// namespace is created (for real) when missing.
func (a serverAPI) dryRun(t testing.TB, s *apiServer, m *meta.RESTMapping, obj *unstructured.Unstructured) error {
	t.Helper()
	obj = obj.DeepCopy()
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace("default")
		}
		ensureNamespace(t, s, obj.GetNamespace())
	} else {
		obj.SetNamespace("")
	}
	_, err := applyObject(t, s, m.Resource, obj, true)
	return err
}

// testExamples server-side dry-runs every Kubernetes object in examples/:
// the manifests as committed (*.yaml, *.yml; SOPS-encrypted ones decrypted
// with the demo key, as a GitOps tool would before applying them; patch
// files of a kustomization excluded), and what each example kustomization
// renders with the demo key (both sides of a bidirectional request).
// Examples added later are covered without a change here.
// installRecipes are the Argo CD install recipes: they build Argo CD itself
// from its released manifests (network) or name the OpenShift GitOps
// operator's ArgoCD kind, neither of which this suite's API servers have.
var installRecipes = filepath.Join("examples", "argocd", "install")

func testExamples(t *testing.T, src *apiServer, crds crdIndex) {
	api := newServerAPI(t, src, crds)
	root := testenv.Path("examples")
	var files, kustomizations []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel, _ := filepath.Rel(testenv.RepoRoot(), p); rel == installRecipes {
				summary.addSkipped("%s: Argo CD install recipes (remote Argo CD manifests, the OpenShift GitOps operator's ArgoCD kind); validated offline by examples/argocd/install_test.go", rel)
				return filepath.SkipDir
			}
			return nil
		}
		switch d.Name() {
		case "kustomization.yaml", "kustomization.yml", "Kustomization":
			// Not a Flux Kustomization that happens to have that name.
			if k := readKustomization(t, filepath.Dir(p)); k.APIVersion == "" || strings.HasPrefix(k.APIVersion, "kustomize.config.k8s.io/") {
				kustomizations = append(kustomizations, filepath.Dir(p))
			}
		}
		if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	patchOf := map[string]string{} // patch file -> the kustomization using it
	for _, dir := range kustomizations {
		for _, p := range kustomizationPatches(t, dir) {
			patchOf[p], _ = filepath.Rel(testenv.RepoRoot(), dir)
		}
	}
	sent := 0
	for _, f := range files {
		rel, _ := filepath.Rel(testenv.RepoRoot(), f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if by, ok := patchOf[f]; ok {
			summary.addSkipped("%s: a patch applied by %s, not a complete object", rel, by)
			continue
		}
		if sopsEncrypted(data) {
			// Encrypted inputs of the renderer, or encrypted output that a
			// GitOps tool decrypts before applying: decrypt with the demo
			// key (in memory) and check what the tool would apply.
			plain, err := sopsDecrypt(t, f)
			if err != nil {
				summary.addSkipped("%s: SOPS-encrypted to a key the suite does not hold", rel)
				continue
			}
			data = plain
			rel += " (decrypted)"
		}
		for i, doc := range splitDocuments(string(data)) {
			var v any
			if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
				t.Errorf("%s document %d is not YAML: %v", rel, i+1, err)
				continue
			}
			if v == nil {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				summary.addSkipped("%s document %d: not a mapping (not a Kubernetes object)", rel, i+1)
				continue
			}
			obj := &unstructured.Unstructured{Object: m}
			if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
				summary.addSkipped("%s document %d: no apiVersion/kind (not a Kubernetes object)", rel, i+1)
				continue
			}
			if dryRunOne(t, src, api, fmt.Sprintf("%s#%d", rel, i+1), obj) {
				sent++
			}
		}
	}
	for _, dir := range kustomizations {
		rel, _ := filepath.Rel(testenv.RepoRoot(), dir)
		if isComponent(t, dir) {
			summary.addSkipped("%s: a kustomize Component, not buildable alone (its resources are checked as files)", rel)
			continue
		}
		// A request with spec.reverse renders one pair per cluster, chosen
		// with CLUSTERPAIR_SIDE: render both.
		sides := []string{"source"}
		if hasReverseRequest(t, dir) {
			sides = append(sides, "destination")
		}
		for _, side := range sides {
			r := kustomizeBuild(t, dir, "SOPS_AGE_KEY_FILE="+testenv.DemoKeyFile(), "CLUSTERPAIR_SIDE="+side)
			if r.err != nil {
				t.Errorf("rendering the example %s (side %s): %v\n%s", rel, side, r.err, r.stderr)
				continue
			}
			objs := splitObjects(t, r.stdout)
			if len(objs) == 0 {
				t.Errorf("the example %s (side %s) renders nothing", rel, side)
			}
			for i, obj := range objs {
				if dryRunOne(t, src, api, fmt.Sprintf("%s (rendered, %s side) #%d", rel, side, i+1), obj) {
					sent++
				}
			}
		}
	}
	if sent == 0 {
		t.Errorf("no example object was sent to the server: the walk over %s found nothing to validate", root)
	}

	t.Run("schema-self-check", func(t *testing.T) { testSchemaSelfCheck(t, src, api) })
}

// dryRunOne plans and dry-runs one object, recording the outcome; it
// returns whether the object was sent to the server.
func dryRunOne(t *testing.T, s *apiServer, api serverAPI, where string, obj *unstructured.Unstructured) bool {
	t.Helper()
	gvk := obj.GroupVersionKind()
	m, skip, fail := api.plan(gvk)
	switch {
	case fail != nil:
		t.Errorf("%s: %v", where, fail)
		return false
	case skip != "":
		summary.addSkipped("%s %s: %s", where, gvkString(gvk), skip)
		return false
	}
	if err := api.dryRun(t, s, m, obj); err != nil {
		t.Errorf("%s: %s rejected by the API server: %v", where, objectRef(obj), err)
		summary.addDryRun("FAIL %s: %s", where, objectRef(obj))
		return true
	}
	summary.addDryRun("ok   %s: %s", where, objectRef(obj))
	return true
}

// sopsDecrypt decrypts a SOPS file with the sops CLI and the demo key.
func sopsDecrypt(t testing.TB, path string) ([]byte, error) {
	t.Helper()
	return testenv.SOPSDecrypt(t, path, "SOPS_AGE_KEY_FILE="+testenv.DemoKeyFile())
}

// hasReverseRequest reports whether a YAML file in dir holds a
// ClusterPairRequest with spec.reverse.
func hasReverseRequest(t testing.TB, dir string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.y*ml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range splitDocuments(string(data)) {
			var m map[string]any
			if yaml.Unmarshal([]byte(doc), &m) != nil || m["kind"] != "ClusterPairRequest" {
				continue
			}
			if spec, ok := m["spec"].(map[string]any); ok && spec["reverse"] != nil {
				return true
			}
		}
	}
	return false
}

// sopsEncrypted reports whether a YAML or JSON file is a SOPS document.
func sopsEncrypted(data []byte) bool {
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return false
	}
	s, ok := m["sops"].(map[string]any)
	return ok && s["mac"] != nil
}

// kustomizationFile is the part of a kustomization the walk needs.
type kustomizationFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Patches    []struct {
		Path string `json:"path"`
	} `json:"patches"`
	PatchesStrategicMerge []string `json:"patchesStrategicMerge"`
	PatchesJSON6902       []struct {
		Path string `json:"path"`
	} `json:"patchesJson6902"`
}

func readKustomization(t testing.TB, dir string) kustomizationFile {
	t.Helper()
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		var k kustomizationFile
		if err := yaml.Unmarshal(data, &k); err != nil {
			t.Fatalf("%s: %v", filepath.Join(dir, n), err)
		}
		return k
	}
	t.Fatalf("no kustomization in %s", dir)
	return kustomizationFile{}
}

func isComponent(t testing.TB, dir string) bool {
	t.Helper()
	return readKustomization(t, dir).Kind == "Component"
}

// kustomizationPatches returns the files dir's kustomization uses as
// patches: partial objects, not manifests of their own.
func kustomizationPatches(t testing.TB, dir string) []string {
	t.Helper()
	k := readKustomization(t, dir)
	var paths []string
	for _, p := range k.Patches {
		paths = append(paths, p.Path)
	}
	for _, p := range k.PatchesJSON6902 {
		paths = append(paths, p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		if !strings.Contains(p, "\n") { // not an inline patch
			paths = append(paths, p)
		}
	}
	var out []string
	for _, p := range paths {
		if p != "" && !filepath.IsAbs(p) {
			out = append(out, filepath.Join(dir, p))
		}
	}
	return out
}

// testSchemaSelfCheck proves the dry-run is not vacuous: the objects in
// testdata/schema/ (one valid object per CRD kind and core kinds the
// examples use, plus invalid ones) must be accepted or rejected as their
// first line says ("# want: ok" or "# want-error: <text>").
func testSchemaSelfCheck(t *testing.T, s *apiServer, api serverAPI) {
	files, err := filepath.Glob(testenv.Path("test", "cluster", "testdata", "schema", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/schema/*.yaml")
	}
	covered := map[schema.GroupKind]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		var wantErr string
		switch {
		case first == "# want: ok":
		case strings.HasPrefix(first, "# want-error: "):
			wantErr = strings.TrimPrefix(first, "# want-error: ")
		default:
			t.Fatalf("%s: first line must be `# want: ok` or `# want-error: <text>`", f)
		}
		objs := splitObjects(t, string(data))
		if len(objs) != 1 {
			t.Fatalf("%s: want one object", f)
		}
		obj := objs[0]
		name := filepath.Base(f)
		m, skip, fail := api.plan(obj.GroupVersionKind())
		if fail != nil || skip != "" {
			t.Errorf("%s: not sent to the server: %v %s", name, fail, skip)
			continue
		}
		err = api.dryRun(t, s, m, obj)
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: rejected: %v", name, err)
		case wantErr != "" && err == nil:
			t.Errorf("%s: accepted; want an error mentioning %q", name, wantErr)
		case wantErr != "" && !strings.Contains(err.Error(), wantErr):
			t.Errorf("%s: error %q lacks %q", name, err, wantErr)
		}
		if wantErr == "" {
			covered[obj.GroupVersionKind().GroupKind()] = true
		}
	}
	// Every CRD kind has a valid object here, so a CRD that fails to install
	// or a schema change that rejects well-formed objects shows up.
	for group, kinds := range api.crds {
		for kind := range kinds {
			if !covered[schema.GroupKind{Group: group, Kind: kind}] {
				t.Errorf("testdata/schema has no valid %s.%s object", kind, group)
			}
		}
	}
}
