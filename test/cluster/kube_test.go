//go:build cluster

package cluster

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/restmapper"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testcrds"
)

// fieldManager is the server-side apply field manager of the suite.
const fieldManager = "clusterpair-fn-e2e"

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crdIndex is what the CRDs of internal/testcrds define: kinds by group.
type crdIndex map[string]map[string]bool

func (c crdIndex) groups() []string {
	var out []string
	for g := range c {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// readCRDs reads every CustomResourceDefinition of internal/testcrds:
// Argo CD's and Flux's from their Go modules at pinned versions, Stork's
// from test/crds/stork.
func readCRDs(t testing.TB) []*unstructured.Unstructured {
	t.Helper()
	var crds []*unstructured.Unstructured
	for _, f := range testcrds.Paths(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range splitObjects(t, string(data)) {
			if o.GetKind() == "CustomResourceDefinition" {
				crds = append(crds, o)
			}
		}
	}
	if len(crds) == 0 {
		t.Fatal("no CustomResourceDefinition in internal/testcrds")
	}
	return crds
}

// installCRDs applies the CRDs to s with server-side apply, waits until each
// is Established and served by discovery, and returns what they define.
func installCRDs(t testing.TB, s *apiServer, crds []*unstructured.Unstructured) crdIndex {
	t.Helper()
	ctx := context.Background()
	index := crdIndex{}
	for _, crd := range crds {
		if _, err := applyObject(t, s, crdGVR, crd, false); err != nil {
			t.Fatalf("applying CRD %s to %s: %v", crd.GetName(), s.name, err)
		}
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		if index[group] == nil {
			index[group] = map[string]bool{}
		}
		index[group][kind] = true
		summary.addApplied("CustomResourceDefinition %s (%s)", crd.GetName(), s.name)
	}
	deadline := time.Now().Add(time.Minute)
	for _, crd := range crds {
		for {
			got, err := s.dyn.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
			if err == nil && established(got) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not Established within a minute (last error: %v)", crd.GetName(), err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Discovery lags a little behind Established.
	for {
		mapper := s.restMapper(t)
		missing := ""
		for group, kinds := range index {
			for kind := range kinds {
				if _, err := mapper.RESTMapping(schema.GroupKind{Group: group, Kind: kind}); err != nil {
					missing = group + "/" + kind
				}
			}
		}
		if missing == "" {
			return index
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not served by discovery within a minute", missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// restMapper maps kinds to resources from the server's current discovery.
func (s *apiServer) restMapper(t testing.TB) meta.RESTMapper {
	t.Helper()
	groups, err := restmapper.GetAPIGroupResources(s.kube.Discovery())
	if err != nil {
		t.Fatalf("%s discovery: %v", s.name, err)
	}
	return restmapper.NewDiscoveryRESTMapper(groups)
}

// applyObject applies obj to s with server-side apply (strict field
// validation, forced ownership) and returns the server's answer; dryRun
// asks the server to validate and admit it without storing it.
func applyObject(t testing.TB, s *apiServer, gvr schema.GroupVersionResource, obj *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	t.Helper()
	data, err := json.Marshal(obj.Object)
	if err != nil {
		t.Fatal(err)
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: &force, FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	ri := s.dyn.Resource(gvr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if ns := obj.GetNamespace(); ns != "" {
		return ri.Namespace(ns).Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts)
	}
	return ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts)
}

// ensureNamespace creates the namespace on s if it does not exist.
func ensureNamespace(t testing.TB, s *apiServer, name string) {
	t.Helper()
	_, err := s.kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s on %s: %v", name, s.name, err)
	}
}

// gvkString is "group/version, Kind=kind" without the noise for core kinds.
func gvkString(gvk schema.GroupVersionKind) string {
	if gvk.Group == "" {
		return gvk.Version + " " + gvk.Kind
	}
	return gvk.Group + "/" + gvk.Version + " " + gvk.Kind
}

func objectRef(o *unstructured.Unstructured) string {
	ref := gvkString(o.GroupVersionKind()) + " "
	if ns := o.GetNamespace(); ns != "" {
		ref += ns + "/"
	}
	return ref + o.GetName()
}

func trimLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}
