//go:build cluster

package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

var (
	vapGVR        = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies"}
	vapBindingGVR = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings"}
)

// admissionPolicyName is the policy (and binding) of examples/admission.
const admissionPolicyName = "clusterpair-options-immutable"

// probeNamespace holds the canary pair the enforcement probe updates; no
// Stork model watches it.
const probeNamespace = "vap-probe"

// admissionObjects builds examples/admission with the real kustomize, as a
// user installs it (kubectl apply -k / a GitOps Application).
func admissionObjects(t testing.TB) []*unstructured.Unstructured {
	t.Helper()
	r := kustomizeBuild(t, testenv.Path("examples", "admission"))
	if r.err != nil {
		t.Fatalf("kustomize build examples/admission: %v\n%s", r.err, r.stderr)
	}
	objs := splitObjects(t, r.stdout)
	if len(objs) != 2 || objs[0].GetKind() == objs[1].GetKind() {
		t.Fatalf("examples/admission renders %d objects, want the policy and its binding:\n%s", len(objs), r.stdout)
	}
	return objs
}

// installAdmissionPolicy applies examples/admission to s and waits until the
// API server enforces it.
func installAdmissionPolicy(t testing.TB, s *apiServer) {
	t.Helper()
	for _, o := range admissionObjects(t) {
		gvr := vapGVR
		if o.GetKind() == "ValidatingAdmissionPolicyBinding" {
			gvr = vapBindingGVR
		}
		if _, err := applyObject(t, s, gvr, o, false); err != nil {
			t.Fatalf("applying %s: %v", objectRef(o), err)
		}
		summary.addApplied("%s (%s, from examples/admission)", objectRef(o), s.name)
	}
	waitEnforced(t, s, true)
}

// removeAdmissionBinding deletes the binding (the policy stays, unbound) and
// waits until the API server no longer enforces it.
func removeAdmissionBinding(t testing.TB, s *apiServer) {
	t.Helper()
	err := s.dyn.Resource(vapBindingGVR).Delete(context.Background(), admissionPolicyName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	waitEnforced(t, s, false)
}

// waitEnforced polls until a dry-run update that changes a canary pair's
// options is refused by the policy (enforced) or accepted (not enforced).
// A new or deleted policy or binding takes effect a moment after it is
// stored (the API server's policy informers); this waits for that moment.
func waitEnforced(t testing.TB, s *apiServer, enforced bool) {
	t.Helper()
	ctx := context.Background()
	ensureNamespace(t, s, probeNamespace)
	ri := s.dyn.Resource(clusterPairGVR).Namespace(probeNamespace)
	canary := clusterPairObject(probeNamespace, "canary", map[string]any{"probe": "a"})
	if _, err := ri.Create(ctx, canary, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	waitUntil(t, fmt.Sprintf("the admission policy enforced=%v on %s", enforced, s.name), func() (bool, string) {
		cur, err := ri.Get(ctx, "canary", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		next := cur.DeepCopy()
		old, _, _ := unstructured.NestedString(cur.Object, "spec", "options", "probe")
		mustSet(unstructured.SetNestedField(next.Object, old+"x", "spec", "options", "probe"))
		_, err = ri.Update(ctx, next, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		// Any denial by the policy counts here (its reason is asserted by
		// the tests that use it).
		refused := err != nil && strings.Contains(err.Error(), "ValidatingAdmissionPolicy '"+admissionPolicyName+"'")
		if err != nil && !refused {
			return false, err.Error()
		}
		return refused == enforced, fmt.Sprintf("refused=%v (%v)", refused, err)
	})
}

// clusterPairObject is a minimal ClusterPair (the policy reads only
// spec.options; no Stork watches these).
func clusterPairObject(ns, name string, options map[string]any) *unstructured.Unstructured {
	spec := map[string]any{
		"config": map[string]any{
			"clusters":        map[string]any{"d": map[string]any{"server": "https://destination.e2e.invalid:6443"}},
			"users":           map[string]any{"u": map[string]any{"token": "kubeconfig-token-not-an-option"}},
			"contexts":        map[string]any{"d": map[string]any{"cluster": "d", "user": "u"}},
			"current-context": "d",
			"preferences":     map[string]any{},
		},
		"platformOptions": map[string]any{},
	}
	if options != nil {
		spec["options"] = options
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stork.libopenstorage.org/v1alpha1",
		"kind":       "ClusterPair",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       spec,
	}}
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testAdmission installs examples/admission on the source server and checks
// what it refuses and what it lets through, with each kind of write the
// engines and Stork make: server-side apply (Flux, kubectl --server-side),
// a JSON merge patch (kubectl's client-side apply, Argo CD's default) and a
// plain Update of the whole object (Stork's status and finalizer writes,
// kubectl replace).
func testAdmission(t *testing.T, s *apiServer) {
	ctx := context.Background()
	const ns = "admission"
	ensureNamespace(t, s, ns)

	// The API server serves the GA API and runs the plugin: the harness
	// passes no --enable/--disable-admission-plugins, and
	// ValidatingAdmissionPolicy is on by default since 1.30.
	rl, err := s.kube.Discovery().ServerResourcesForGroupVersion("admissionregistration.k8s.io/v1")
	if err != nil {
		t.Fatal(err)
	}
	served := false
	for _, r := range rl.APIResources {
		served = served || r.Name == "validatingadmissionpolicies"
	}
	if !served {
		t.Fatalf("%s does not serve admissionregistration.k8s.io/v1 validatingadmissionpolicies", s.name)
	}
	installAdmissionPolicy(t, s)
	t.Cleanup(func() { removeAdmissionBinding(t, s) })

	oldToken, newToken := "old-token-"+randomHex(t), "new-token-"+randomHex(t)
	baseOptions := func() map[string]any {
		return map[string]any{"ip": "px-old.e2e.invalid", "port": "9001", "token": oldToken, "mode": "DisasterRecovery", "backuplocation": "bl-old"}
	}
	ri := s.dyn.Resource(clusterPairGVR).Namespace(ns)
	n := 0
	fresh := func(t *testing.T) *unstructured.Unstructured {
		t.Helper()
		n++
		o := clusterPairObject(ns, fmt.Sprintf("pair-%d", n), baseOptions())
		created, err := applyObject(t, s, clusterPairGVR, o, false)
		if err != nil {
			t.Fatalf("creating a pair (CREATE is not matched): %v", err)
		}
		// Stork's first writes: finalizer, then status, as plain updates.
		created.SetFinalizers([]string{storkFinalizer})
		created, err = ri.Update(ctx, created, metav1.UpdateOptions{FieldManager: "stork"})
		if err != nil {
			t.Fatalf("Stork's finalizer update was refused: %v", err)
		}
		mustSet(unstructured.SetNestedMap(created.Object, map[string]any{"schedulerStatus": "Ready", "storageStatus": "Ready", "remoteStorageId": "px-remote"}, "status"))
		created, err = ri.Update(ctx, created, metav1.UpdateOptions{FieldManager: "stork"})
		if err != nil {
			t.Fatalf("Stork's status update was refused: %v", err)
		}
		return created
	}

	// Writes that change spec.options: each refused, by every verb, 422 Invalid.
	refusals := []struct {
		name    string
		edit    func(opts map[string]any)
		says    string
		values  []string // old and new values that must not appear
		patchOK bool     // a merge patch can express it
	}{
		{"ip", func(o map[string]any) { o["ip"] = "px-new.e2e.invalid" }, "changed: ip", []string{"px-old.e2e.invalid", "px-new.e2e.invalid"}, true},
		{"port", func(o map[string]any) { o["port"] = "9020" }, "changed: port", []string{"9020"}, true},
		{"token", func(o map[string]any) { o["token"] = newToken }, "changed: token", []string{oldToken, newToken}, true},
		{"mode", func(o map[string]any) { o["mode"] = "OneTimeMigration" }, "changed: mode", []string{"DisasterRecovery", "OneTimeMigration"}, true},
		{"backuplocation", func(o map[string]any) { o["backuplocation"] = "bl-new" }, "changed: backuplocation", []string{"bl-old", "bl-new"}, true},
		{"added key", func(o map[string]any) { o["extra"] = "value-" + randomHex(t) }, "added: extra", nil, true},
		{"removed key", func(o map[string]any) { delete(o, "mode") }, "removed: mode", []string{"DisasterRecovery"}, false},
		{"two changes and a removal", func(o map[string]any) {
			o["token"], o["ip"] = newToken, "px-new.e2e.invalid"
			delete(o, "backuplocation")
		}, "changed: ip, token; removed: backuplocation", []string{oldToken, newToken, "bl-old"}, false},
		{"options emptied", func(o map[string]any) {
			for k := range o {
				delete(o, k)
			}
		}, "removed: ip, port, token, mode, backuplocation", []string{oldToken}, false},
	}
	expectRefused := func(t *testing.T, verb string, err error, says string, values []string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: the change of spec.options was accepted", verb)
		}
		status, ok := err.(apierrors.APIStatus)
		if !ok || status.Status().Code != http.StatusUnprocessableEntity || status.Status().Reason != metav1.StatusReasonInvalid {
			t.Fatalf("%s: refused with %v, want 422 Invalid (Forbidden, 403, would keep kubectl --force from recreating)", verb, err)
		}
		msg := err.Error()
		for _, want := range []string{admissionPolicyName, "spec.options cannot be changed in place (" + says + ")",
			"Stork reads ip, port, token, mode and backuplocation only when it pairs",
			"kustomize.toolkit.fluxcd.io/force: enabled", "Force=true", "ServerSideApply=false"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: the refusal lacks %q:\n%s", verb, want, msg)
			}
		}
		for _, v := range append(values, oldToken, newToken, "kubeconfig-token-not-an-option") {
			if strings.Contains(msg, v) {
				t.Errorf("%s: the refusal contains the value %q:\n%s", verb, v, msg)
			}
		}
	}
	for _, c := range refusals {
		t.Run("refused/"+c.name, func(t *testing.T) {
			outcome := probeOutcome{name: "admission: options " + c.name, expected: "422 Invalid (" + c.says + "), no value in the message"}
			defer func() {
				outcome.ok = !t.Failed()
				if outcome.got == "" {
					outcome.got = "see the test log"
				}
				summary.addProbe(outcome)
			}()
			live := fresh(t)
			opts, _, _ := unstructured.NestedMap(live.Object, "spec", "options")
			c.edit(opts)

			// Plain Update of the whole object (kubectl replace, Argo CD Replace=true).
			upd := live.DeepCopy()
			mustSet(unstructured.SetNestedMap(upd.Object, opts, "spec", "options"))
			_, err := ri.Update(ctx, upd, metav1.UpdateOptions{})
			expectRefused(t, "update", err, c.says, c.values)
			if st, ok := err.(apierrors.APIStatus); ok {
				msg := st.Status().Message
				if i := strings.Index(msg, "): "); i > 0 {
					msg = msg[:i+1]
				}
				outcome.got = fmt.Sprintf("%d %s: %s", st.Status().Code, st.Status().Reason, msg)
			}

			// Server-side apply of the changed pair (Flux, kubectl --server-side),
			// dry-run first as Flux does.
			applied := clusterPairObject(ns, live.GetName(), opts)
			for _, dry := range []bool{true, false} {
				_, err = applyObject(t, s, clusterPairGVR, applied, dry)
				expectRefused(t, fmt.Sprintf("server-side apply (dry-run %v)", dry), err, c.says, c.values)
			}

			// A JSON merge patch of the options (kubectl's client-side apply).
			if c.patchOK {
				patch := mustJSON(map[string]any{"spec": map[string]any{"options": opts}})
				_, err = ri.Patch(ctx, live.GetName(), types.MergePatchType, patch, metav1.PatchOptions{})
				expectRefused(t, "merge patch", err, c.says, c.values)
			}

			after, err := ri.Get(ctx, live.GetName(), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got, _, _ := unstructured.NestedMap(after.Object, "spec", "options"); !sameJSON(got, baseOptions()) {
				t.Fatalf("the stored options changed: %v", got)
			}
			// Recreating is the way: DELETE and CREATE are not matched.
			if err := ri.Delete(ctx, live.GetName(), metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			deleting, err := ri.Get(ctx, live.GetName(), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			deleting.SetFinalizers(nil)
			if _, err := ri.Update(ctx, deleting, metav1.UpdateOptions{FieldManager: "stork"}); err != nil {
				t.Fatalf("removing the finalizer of a deleted pair (Stork's cleanup): %v", err)
			}
			waitUntil(t, "the deleted pair is gone", func() (bool, string) {
				_, err := ri.Get(ctx, live.GetName(), metav1.GetOptions{})
				return apierrors.IsNotFound(err), fmt.Sprint(err)
			})
			if _, err := ri.Create(ctx, clusterPairObject(ns, live.GetName(), opts), metav1.CreateOptions{}); err != nil {
				t.Fatalf("creating the pair again with the new options: %v", err)
			}
		})
	}

	// Writes that keep spec.options: each accepted.
	accepted := []struct {
		name string
		edit func(o *unstructured.Unstructured)
	}{
		{"config (credential rotation)", func(o *unstructured.Unstructured) {
			mustSet(unstructured.SetNestedField(o.Object, "rotated-"+randomHex(t), "spec", "config", "users", "u", "token"))
			mustSet(unstructured.SetNestedField(o.Object, "https://other.e2e.invalid:6443", "spec", "config", "clusters", "d", "server"))
		}},
		{"platformOptions", func(o *unstructured.Unstructured) {
			mustSet(unstructured.SetNestedStringMap(o.Object, map[string]string{"p-a": "p-b"}, "spec", "platformOptions", "rancher", "projectMappings"))
		}},
		{"label", func(o *unstructured.Unstructured) {
			o.SetLabels(map[string]string{"team": "storage"})
		}},
		{"annotation", func(o *unstructured.Unstructured) {
			o.SetAnnotations(map[string]string{"argocd.argoproj.io/sync-options": "Force=true,ServerSideApply=false", "kustomize.toolkit.fluxcd.io/force": "enabled"})
		}},
		{"finalizer removed", func(o *unstructured.Unstructured) { o.SetFinalizers(nil) }},
		{"finalizer added", func(o *unstructured.Unstructured) { o.SetFinalizers(append(o.GetFinalizers(), "example.com/other")) }},
		{"status", func(o *unstructured.Unstructured) {
			mustSet(unstructured.SetNestedField(o.Object, "Error", "status", "schedulerStatus"))
		}},
		{"options values rewritten unchanged", func(o *unstructured.Unstructured) {
			opts, _, _ := unstructured.NestedMap(o.Object, "spec", "options")
			mustSet(unstructured.SetNestedMap(o.Object, opts, "spec", "options"))
		}},
	}
	for _, c := range accepted {
		t.Run("accepted/"+c.name, func(t *testing.T) {
			live := fresh(t)
			upd := live.DeepCopy()
			c.edit(upd)
			got, err := ri.Update(ctx, upd, metav1.UpdateOptions{FieldManager: "stork"})
			if err != nil {
				t.Fatalf("plain update refused: %v", err)
			}
			// The same change by server-side apply (what an engine sends:
			// no status, no finalizers).
			applied := got.DeepCopy()
			unstructured.RemoveNestedField(applied.Object, "status")
			unstructured.RemoveNestedField(applied.Object, "metadata", "finalizers")
			unstructured.RemoveNestedField(applied.Object, "metadata", "managedFields")
			unstructured.RemoveNestedField(applied.Object, "metadata", "resourceVersion")
			unstructured.RemoveNestedField(applied.Object, "metadata", "uid")
			unstructured.RemoveNestedField(applied.Object, "metadata", "creationTimestamp")
			unstructured.RemoveNestedField(applied.Object, "metadata", "generation")
			if _, err := applyObject(t, s, clusterPairGVR, applied, false); err != nil {
				t.Fatalf("server-side apply refused: %v", err)
			}
		})
	}

	// Stork writes options: null when there are none; null, absent and {}
	// are the same pair to it, and to the policy.
	t.Run("accepted/options null to empty", func(t *testing.T) {
		o := clusterPairObject(ns, "null-options", nil)
		mustSet(unstructured.SetNestedField(o.Object, nil, "spec", "options"))
		created, err := ri.Create(ctx, o, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v, found, _ := unstructured.NestedFieldNoCopy(created.Object, "spec", "options"); !found || v != nil {
			t.Fatalf("the server did not store options: null (%v, %v)", v, found)
		}
		mustSet(unstructured.SetNestedMap(created.Object, map[string]any{}, "spec", "options"))
		created, err = ri.Update(ctx, created, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("options null -> {} refused: %v", err)
		}
		unstructured.RemoveNestedField(created.Object, "spec", "options")
		if _, err := ri.Update(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("options {} -> absent refused: %v", err)
		}
	})
}

// mustSet panics on an error of unstructured.SetNested* (a path through a
// non-map value: a bug of the test's own objects).
func mustSet(err error) {
	if err != nil {
		panic(err)
	}
}
