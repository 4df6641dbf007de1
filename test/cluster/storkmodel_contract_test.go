//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// destinationKubeconfig binds a stork-dr user to cluster-admin on dst and
// returns a kubeconfig for it (client certificate), as Stork pairs with.
func destinationKubeconfig(t *testing.T, dst *apiServer) []byte {
	t.Helper()
	_, err := dst.kube.RbacV1().ClusterRoleBindings().Create(context.Background(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "stork-dr"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: "rbac.authorization.k8s.io", Name: "stork-dr"}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	cert := dst.ca.issue(t, certSpec{cn: "stork-dr"})
	return kubeconfig{server: dst.url, caPEM: dst.ca.certPEM, userName: "stork-dr",
		user: clientcmdapi.AuthInfo{ClientCertificateData: cert.CertPEM, ClientKeyData: cert.KeyPEM}}.bytes(t)
}

// applyRendered server-side applies a rendered pair as kubectl apply
// --server-side would (no policy is installed during these tests).
func applyRendered(t *testing.T, s *apiServer, pair *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	ensureNamespace(t, s, pair.GetNamespace())
	got, err := applyObject(t, s, clusterPairGVR, pair, false)
	if err != nil {
		t.Fatalf("applying %s: %v", objectRef(pair), err)
	}
	return got
}

// testStorkModel checks that the Stork model does what the contract says
// Stork does (§6, §13), against the real API server, before the GitOps
// suites rely on it: finalizer, sticky statuses, CreatePair only while not
// Ready, and the three outcomes of a deletion.
func testStorkModel(t *testing.T, src, dst *apiServer, key ageKey) {
	ctx := context.Background()
	const ns = "stork-model"
	ensureNamespace(t, src, ns)
	kc := destinationKubeconfig(t, dst)
	driver := newFakeDriver("px-remote-uuid")
	model := newStorkModel(src, ns, driver)
	model.run(t)
	ri := src.dyn.Resource(clusterPairGVR).Namespace(ns)
	token := "px-token-" + randomHex(t)
	req := func(name string) pairRequest {
		return pairRequest{name: name, ns: ns, kubeconfig: kc, ip: "px-a.e2e.invalid", token: token}
	}

	t.Run("pairs once, statuses sticky", func(t *testing.T) {
		dir := pairRequestDir(t, key, req("sticky"))
		rendered := renderPair(t, key, dir)
		applyRendered(t, src, rendered)
		live := waitPairStatus(t, src, ns, "sticky", statusReady, statusReady)
		if !hasString(live.GetFinalizers(), storkFinalizer) {
			t.Fatalf("finalizers %v lack %s", live.GetFinalizers(), storkFinalizer)
		}
		if id, _, _ := unstructured.NestedString(live.Object, "status", "remoteStorageId"); id != "px-remote-uuid" {
			t.Fatalf("remoteStorageId %q", id)
		}
		calls := driver.Calls()
		if len(calls) != 1 || calls[0].Op != "CreatePair" || calls[0].Options["token"] != token || calls[0].Options["ip"] != "px-a.e2e.invalid" {
			t.Fatalf("driver calls %s, want one CreatePair with the rendered options", describeCalls(calls))
		}
		// An in-place edit of the options (no policy): stored, Ready stays,
		// CreatePair is not called again, Portworx keeps the old pair.
		changed := req("sticky")
		changed.ip, changed.token = "px-b.e2e.invalid", "px-token-"+randomHex(t)
		after := applyRendered(t, src, renderPair(t, key, pairRequestDir(t, key, changed, dir)))
		if opts, _, _ := unstructured.NestedStringMap(after.Object, "spec", "options"); opts["ip"] != "px-b.e2e.invalid" {
			t.Fatalf("the edit was not stored: %v", opts)
		}
		// The model reconciles on the update's watch event and on every
		// resync; after a later write (a label) has been seen by it, the
		// edit has been seen too.
		settle(t, src, model, ns, "sticky")
		live = waitPairStatus(t, src, ns, "sticky", statusReady, statusReady)
		if got := since(driver.Calls(), 1); len(got) != 0 {
			t.Fatalf("the driver was called again after an in-place options edit: %s", describeCalls(got))
		}
		if stored, _ := driver.Stored(); stored["ip"] != "px-a.e2e.invalid" || stored["token"] != token {
			t.Fatalf("Portworx holds ip %q (want the old px-a.e2e.invalid)", stored["ip"])
		}
		if live.GetUID() != after.GetUID() {
			t.Fatal("the pair was recreated")
		}
	})

	t.Run("deletion runs DeletePair and removes the finalizer", func(t *testing.T) {
		before := len(driver.Calls())
		if err := ri.Delete(ctx, "sticky", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, src, ns, "sticky")
		got := since(driver.Calls(), before)
		if len(got) != 1 || got[0].Op != "DeletePair" || got[0].RemoteID != "px-remote-uuid" {
			t.Fatalf("driver calls %s, want DeletePair(px-remote-uuid)", describeCalls(got))
		}
		if _, ok := driver.Stored(); ok {
			t.Fatal("Portworx still holds the pair")
		}
	})

	t.Run("a sibling with the same remoteStorageId keeps the Portworx pair", func(t *testing.T) {
		before := len(driver.Calls())
		for _, n := range []string{"sibling-a", "sibling-b"} {
			applyRendered(t, src, renderPair(t, key, pairRequestDir(t, key, req(n))))
			waitPairStatus(t, src, ns, n, statusReady, statusReady)
		}
		if err := ri.Delete(ctx, "sibling-a", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, src, ns, "sibling-a")
		for _, c := range since(driver.Calls(), before) {
			if c.Op == "DeletePair" {
				t.Fatalf("DeletePair ran although sibling-b shares the remoteStorageId: %s", describeCalls(since(driver.Calls(), before)))
			}
		}
		if _, ok := driver.Stored(); !ok {
			t.Fatal("Portworx lost the pair sibling-b uses")
		}
		if err := ri.Delete(ctx, "sibling-b", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, src, ns, "sibling-b")
		if got := since(driver.Calls(), before); got[len(got)-1].Op != "DeletePair" {
			t.Fatalf("deleting the last pair did not run DeletePair: %s", describeCalls(got))
		}
	})

	t.Run("a dependent pair on the same backuplocation blocks the deletion", func(t *testing.T) {
		for _, n := range []string{"bl-a", "bl-b"} {
			r := req(n)
			r.backupLocation = "shared-bl"
			applyRendered(t, src, renderPair(t, key, pairRequestDir(t, key, r)))
			waitPairStatus(t, src, ns, n, statusReady, statusReady)
		}
		before := len(driver.Calls())
		if err := ri.Delete(ctx, "bl-a", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "Stork refuses to clean up bl-a", func() (bool, string) {
			for _, e := range clusterEvents(t, src, ns, "bl-a") {
				if e.Type == "Warning" && e.Reason == "Deleting" && strings.Contains(e.Message, "other clusterpairs [bl-b] are dependent on this cluster pair") {
					return true, ""
				}
			}
			return false, fmt.Sprint(model.Events("bl-a"))
		})
		live, err := ri.Get(ctx, "bl-a", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the refused pair is gone: %v", err)
		}
		if live.GetDeletionTimestamp() == nil || !hasString(live.GetFinalizers(), storkFinalizer) {
			t.Fatalf("bl-a: deletionTimestamp %v, finalizers %v; want Terminating with Stork's finalizer", live.GetDeletionTimestamp(), live.GetFinalizers())
		}
		if got := since(driver.Calls(), before); len(got) != 0 {
			t.Fatalf("a refused deletion called the driver: %s", describeCalls(got))
		}
		// Once the dependent is gone, the cleanup completes.
		if err := ri.Delete(ctx, "bl-b", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, src, ns, "bl-b")
		waitGone(t, src, ns, "bl-a")
	})
}

// waitGone waits until the pair no longer exists.
func waitGone(t testing.TB, s *apiServer, ns, name string) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("ClusterPair %s/%s is gone", ns, name), func() (bool, string) {
		o, err := s.dyn.Resource(clusterPairGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, fmt.Sprintf("still there, deleting %v, finalizers %v", o.GetDeletionTimestamp() != nil, o.GetFinalizers())
	})
}

// settle makes sure the model has reconciled the pair's current state: it
// writes a marker label and waits until the model has reconciled the pair
// after that write (its resync reconciles every pair; the marker's
// resourceVersion is then older than what the model saw). Because the
// model reconciles in one goroutine, holding it after that point means
// every earlier write has been reconciled.
func settle(t testing.TB, s *apiServer, m *storkModel, ns, name string) {
	t.Helper()
	ri := s.dyn.Resource(clusterPairGVR).Namespace(ns)
	ctx := context.Background()
	o, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	labels := maps.Clone(o.GetLabels())
	if labels == nil {
		labels = map[string]string{}
	}
	labels["e2e.clusterpair.dev/settle"] = randomHex(t)
	o.SetLabels(labels)
	marked, err := ri.Update(ctx, o, metav1.UpdateOptions{FieldManager: "e2e-settle"})
	if err != nil {
		t.Fatal(err)
	}
	start := m.reconciled(ns + "/" + name)
	waitUntil(t, "the Stork model reconciles "+name+" after rv "+marked.GetResourceVersion(), func() (bool, string) {
		n := m.reconciled(ns + "/" + name)
		return n >= start+2, fmt.Sprintf("%d reconciles since", n-start)
	})
}
