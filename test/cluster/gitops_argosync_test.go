//go:build cluster && gitops

package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// testArgoSync runs Argo CD's sync engine (argosync: gitops-engine v3.6.2's
// sync.NewSyncContext and its kubectl, as the application controller calls
// them) on rendered pairs whose options change, with examples/admission
// installed and the Stork model (storkmodel_test.go) pairing them: the
// rendered Force=true makes a refused change delete the pair, and the next
// sync attempt (syncPolicy.retry, or a manual sync) creates it; a
// config-only change is patched in place; without the policy the change is
// applied in place and Stork never sees it; under server-side apply
// ServerSideApply=false is what keeps the recreate; a deletion Stork refuses
// fails each attempt at once instead of blocking it.
func testArgoSync(t *testing.T, src, dst *apiServer, key ageKey) {
	argosync := binary(t, "ARGOSYNC", "argosync", "run `make e2e-gitops` (it builds test/gitops/argosync into .cache/)")
	out, err := exec.Command(argosync, "version").Output()
	if err != nil {
		t.Fatalf("argosync version: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		summary.addServer("%-11s %s", "Argo sync", line)
	}
	ctx := context.Background()
	const ns = "argo-recreate"
	ensureNamespace(t, src, ns)
	kubeconfig := adminKubeconfig(t, src)
	driver := newFakeDriver("px-remote-uuid")
	model := newStorkModel(src, ns, driver)
	model.run(t)
	installAdmissionPolicy(t, src)
	t.Cleanup(func() { removeAdmissionBinding(t, src) })
	ri := src.dyn.Resource(clusterPairGVR).Namespace(ns)

	// manifests renders the pair as the Argo CD plugin does (clusterpair-fn
	// under kustomize, plaintext) into the file the sync reads; edit, when
	// given, changes the rendered pair first.
	manifests := func(t *testing.T, r pairRequest, dir string, edit ...func(*unstructured.Unstructured)) string {
		t.Helper()
		pair := renderPair(t, key, pairRequestDir(t, key, r, dir))
		for _, e := range edit {
			e(pair)
		}
		data, err := yaml.Marshal(pair.Object)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, filepath.Join(t.TempDir(), "manifests.yaml"), data)
	}
	syncOnce := func(t *testing.T, file string, flags ...string) toolResult {
		t.Helper()
		args := append([]string{"sync", "-kubeconfig", kubeconfig, "-manifests", file, "-app", "pairs", "-namespace", ns}, flags...)
		return runTool(t, argosync, nil, args...)
	}
	mustSync := func(t *testing.T, file, want string, flags ...string) {
		t.Helper()
		r := syncOnce(t, file, flags...)
		if r.err != nil {
			t.Fatalf("argosync sync: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "phase Succeeded") {
			t.Fatalf("sync output lacks %q:\n%s", want, r.stdout)
		}
	}
	uid := func(t *testing.T, name string) string {
		t.Helper()
		o, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return string(o.GetUID())
	}

	tokenA, tokenB, tokenC := "px-token-a-"+randomHex(t), "px-token-b-"+randomHex(t), "px-token-c-"+randomHex(t)
	req := pairRequest{name: "argo-pair", ns: ns, kubeconfig: destinationKubeconfig(t, dst), ip: "px-a.e2e.invalid", token: tokenA}
	dir := filepath.Join(t.TempDir(), "argo-pair")
	const line = "ClusterPair " + ns + "/argo-pair: clusterpair.stork.libopenstorage.org/argo-pair "

	t.Run("first sync pairs", func(t *testing.T) {
		mustSync(t, manifests(t, req, dir), "Synced "+line+"created")
		live := waitPairStatus(t, src, ns, "argo-pair", statusReady, statusReady)
		if got := live.GetAnnotations()["argocd.argoproj.io/sync-options"]; got != "Force=true,ServerSideApply=false" {
			t.Fatalf("the applied pair's sync-options are %q", got)
		}
		if calls := driver.Calls(); len(calls) != 1 || calls[0].Op != "CreatePair" || calls[0].Options["token"] != tokenA {
			t.Fatalf("driver calls %s, want one CreatePair with token A", describeCalls(calls))
		}
		// Client-side apply keeps a copy of the whole pair, credentials
		// included, in an annotation of the same object (docs/argocd.md).
		if !strings.Contains(live.GetAnnotations()["kubectl.kubernetes.io/last-applied-configuration"], tokenA) {
			t.Fatal("no last-applied-configuration copy of the pair (update docs/argocd.md)")
		}
	})

	// recreate changes the options and syncs twice: the first attempt
	// deletes the pair and fails (kubectl checks once, right after its
	// DELETE, whether the object is gone; Stork's cleanup has not run yet:
	// the test holds the model until the attempt is over, so that the
	// outcome does not depend on which of the two is faster, and any real
	// cleanup calls Portworx first); the second attempt, once the finalizer
	// is gone, creates the pair, and Stork pairs it with the new options.
	recreate := func(t *testing.T, outcome *probeOutcome, file string, token, ip string, flags ...string) {
		t.Helper()
		before, oldUID := len(driver.Calls()), uid(t, "argo-pair")
		oldToken := getObjectField(t, src, ns, "argo-pair", "spec", "options", "token").(string)
		model.hold()
		r := syncOnce(t, file, flags...)
		model.release()
		if r.err == nil {
			t.Fatalf("the first attempt succeeded although Stork's finalizer was still there:\n%s", r.stdout)
		}
		if !strings.Contains(r.stdout, "SyncFailed "+"ClusterPair "+ns+"/argo-pair: ") || !strings.Contains(r.stdout, "context deadline exceeded") {
			t.Fatalf("first attempt: want SyncFailed with kubectl's deletion wait timing out:\n%s", r.stdout)
		}
		// kubectl's error quotes the whole object it meant to create (the
		// token and the kubeconfig included); gitops-engine's
		// cleanKubectlOutput strips that before it becomes the result
		// message, which Argo CD stores in the Application's status.
		if strings.Contains(r.stdout+r.stderr, token) || strings.Contains(r.stdout+r.stderr, oldToken) {
			t.Errorf("a token reached the sync result:\n%s", r.stdout)
		}
		live, err := ri.Get(ctx, "argo-pair", metav1.GetOptions{})
		if err != nil || live.GetDeletionTimestamp() == nil {
			t.Fatalf("after the first attempt the pair is %v (deleting: %v); want Terminating", err, live != nil && live.GetDeletionTimestamp() != nil)
		}
		waitGone(t, src, ns, "argo-pair")
		mustSync(t, file, "Synced "+line+"created", flags...)
		live = waitPairStatus(t, src, ns, "argo-pair", statusReady, statusReady)
		if string(live.GetUID()) == oldUID {
			t.Fatal("the pair was not recreated")
		}
		calls := since(driver.Calls(), before)
		if len(calls) != 2 || calls[0].Op != "DeletePair" || calls[1].Op != "CreatePair" || calls[1].Options["token"] != token || calls[1].Options["ip"] != ip {
			t.Fatalf("driver calls %s, want DeletePair then CreatePair with the new options", describeCalls(calls))
		}
		outcome.got = fmt.Sprintf("attempt 1 SyncFailed (%q), attempt 2 created; %s", "context deadline exceeded", describeCalls(calls))
	}

	t.Run("options change deletes the pair, the retry creates it", func(t *testing.T) {
		outcome := probeOutcome{name: "Argo CD: options change with the policy", expected: "attempt 1 deletes and fails, attempt 2 creates; DeletePair then CreatePair with the new options"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		req.ip, req.token = "px-b.e2e.invalid", tokenB
		recreate(t, &outcome, manifests(t, req, dir), tokenB, "px-b.e2e.invalid")
	})

	t.Run("config-only change patches in place", func(t *testing.T) {
		outcome := probeOutcome{name: "Argo CD: spec.config change with the policy", expected: "configured in place (same UID), no driver call"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		before, oldUID := len(driver.Calls()), uid(t, "argo-pair")
		oldConfig := getObjectField(t, src, ns, "argo-pair", "spec", "config")
		req.kubeconfig = destinationKubeconfig(t, dst)
		mustSync(t, manifests(t, req, dir), "Synced "+line+"configured")
		settle(t, src, model, ns, "argo-pair")
		waitPairStatus(t, src, ns, "argo-pair", statusReady, statusReady)
		if uid(t, "argo-pair") != oldUID {
			t.Fatal("a config-only change recreated the pair")
		}
		if sameJSON(getObjectField(t, src, ns, "argo-pair", "spec", "config"), oldConfig) {
			t.Fatal("the new credential was not applied")
		}
		if calls := since(driver.Calls(), before); len(calls) != 0 {
			t.Fatalf("a config-only change called the driver: %s", describeCalls(calls))
		}
		outcome.got = "configured, same UID, no driver call"
	})

	t.Run("server-side apply Application: ServerSideApply=false keeps the recreate", func(t *testing.T) {
		outcome := probeOutcome{name: "Argo CD: options change, Application with ServerSideApply=true",
			expected: "with the rendered ServerSideApply=false: recreated as client-side; with Force=true alone: refused, not recreated"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		// Without the rendered ServerSideApply=false (a Force=true alone):
		// gitops-engine drops the force under server-side apply, and the
		// refused apply just fails.
		req.token = tokenC
		forceOnly := manifests(t, req, dir, func(o *unstructured.Unstructured) {
			a := o.GetAnnotations()
			a["argocd.argoproj.io/sync-options"] = "Force=true"
			o.SetAnnotations(a)
		})
		oldUID := uid(t, "argo-pair")
		r := syncOnce(t, forceOnly, "-server-side-apply")
		if r.err == nil || !strings.Contains(r.stdout, "spec.options cannot be changed in place (changed: token)") {
			t.Fatalf("Force=true under server-side apply: want the policy's refusal, got %v:\n%s", r.err, r.stdout)
		}
		if strings.Contains(r.stdout, tokenC) {
			t.Errorf("the server-side apply error quotes the new token:\n%s", r.stdout)
		}
		if uid(t, "argo-pair") != oldUID {
			t.Fatal("recreated although the force was dropped")
		}
		recreate(t, &outcome, manifests(t, req, dir), tokenC, "px-b.e2e.invalid", "-server-side-apply")
		live, err := ri.Get(ctx, "argo-pair", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(live.GetAnnotations()["kubectl.kubernetes.io/last-applied-configuration"], tokenC) {
			t.Fatal("ServerSideApply=false: the pair was not client-side applied (no last-applied-configuration)")
		}
		outcome.got = "Force=true alone: SyncFailed with the policy's message, same UID; rendered annotation: " + outcome.got
	})

	t.Run("Replace=true with the rendered Force=true recreates on every sync", func(t *testing.T) {
		outcome := probeOutcome{name: "Argo CD: Application with Replace=true, nothing changed",
			expected: "kubectl replace --force: the pair is deleted and created again (Stork re-pairs)"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		file := manifests(t, req, dir) // what was synced last
		before, oldUID := len(driver.Calls()), uid(t, "argo-pair")
		mustSync(t, file, "Synced ClusterPair "+ns+"/argo-pair: clusterpair.stork.libopenstorage.org \"argo-pair\" deleted from "+ns+" namespace\nclusterpair.stork.libopenstorage.org/argo-pair replaced", "-replace")
		live := waitPairStatus(t, src, ns, "argo-pair", statusReady, statusReady)
		if string(live.GetUID()) == oldUID {
			t.Fatal("Replace=true did not recreate the pair")
		}
		calls := since(driver.Calls(), before)
		if len(calls) != 2 || calls[0].Op != "DeletePair" || calls[1].Op != "CreatePair" {
			t.Fatalf("driver calls %s, want DeletePair then CreatePair", describeCalls(calls))
		}
		outcome.got = "replaced (new UID): " + describeCalls(calls)
	})

	t.Run("without the policy an options change is applied in place and ignored", func(t *testing.T) {
		outcome := probeOutcome{name: "Argo CD: options change without the policy", expected: "configured in place, no CreatePair: Portworx keeps the old options (the silent case)"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		removeAdmissionBinding(t, src)
		defer installAdmissionPolicy(t, src)
		before, oldUID := len(driver.Calls()), uid(t, "argo-pair")
		req.ip, req.token = "px-d.e2e.invalid", "px-token-d-"+randomHex(t)
		mustSync(t, manifests(t, req, dir), "Synced "+line+"configured")
		settle(t, src, model, ns, "argo-pair")
		live := waitPairStatus(t, src, ns, "argo-pair", statusReady, statusReady)
		if string(live.GetUID()) != oldUID {
			t.Fatal("recreated without the policy")
		}
		if opts, _, _ := unstructured.NestedStringMap(live.Object, "spec", "options"); opts["token"] != req.token {
			t.Fatal("the new options were not stored")
		}
		if calls := since(driver.Calls(), before); len(calls) != 0 {
			t.Fatalf("the driver was called: %s", describeCalls(calls))
		}
		if stored, _ := driver.Stored(); stored["token"] != tokenC {
			t.Fatal("Portworx does not hold the previous token")
		}
		outcome.got = "configured, same UID, Ready, no driver call; Portworx keeps the previous options"
	})
	t.Run("a deletion Stork refuses fails every attempt", func(t *testing.T) {
		outcome := probeOutcome{name: "Argo CD: options change of a pair another pair depends on (backuplocation)",
			expected: "each sync attempt fails at once (context deadline exceeded), the pair stays Terminating; the retry after the dependent is gone creates it"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		// Alone with its dependent (no third pair shares the Portworx pair).
		if err := ri.Delete(ctx, "argo-pair", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, src, ns, "argo-pair")
		token := "px-token-e-" + randomHex(t)
		dep := func(name string) pairRequest {
			return pairRequest{name: name, ns: ns, kubeconfig: req.kubeconfig, ip: "px-b.e2e.invalid", token: token, backupLocation: "shared-bl"}
		}
		depA, dirA := dep("argo-dep-a"), filepath.Join(t.TempDir(), "argo-dep-a")
		for _, r := range []pairRequest{depA, dep("argo-dep-b")} {
			mustSync(t, manifests(t, r, filepath.Join(t.TempDir(), r.name)), "Synced ClusterPair "+ns+"/"+r.name+": clusterpair.stork.libopenstorage.org/"+r.name+" created")
			waitPairStatus(t, src, ns, r.name, statusReady, statusReady)
		}
		depA.token = "px-token-f-" + randomHex(t)
		file := manifests(t, depA, dirA)
		for attempt := 1; attempt <= 2; attempt++ {
			r := syncOnce(t, file)
			if r.err == nil || !strings.Contains(r.stdout, "SyncFailed ClusterPair "+ns+"/argo-dep-a: context deadline exceeded") {
				t.Fatalf("attempt %d: want SyncFailed (context deadline exceeded), got %v:\n%s", attempt, r.err, r.stdout)
			}
			waitUntil(t, "Stork refuses to clean up argo-dep-a", func() (bool, string) {
				for _, e := range clusterEvents(t, src, ns, "argo-dep-a") {
					if e.Type == "Warning" && e.Reason == "Deleting" && strings.Contains(e.Message, "other clusterpairs [argo-dep-b] are dependent") {
						return true, ""
					}
				}
				return false, "no Deleting event yet"
			})
			live, err := ri.Get(ctx, "argo-dep-a", metav1.GetOptions{})
			if err != nil || live.GetDeletionTimestamp() == nil {
				t.Fatalf("attempt %d: argo-dep-a is %v; want Terminating", attempt, err)
			}
		}
		if err := ri.Delete(ctx, "argo-dep-b", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, src, ns, "argo-dep-a")
		mustSync(t, file, "Synced ClusterPair "+ns+"/argo-dep-a: clusterpair.stork.libopenstorage.org/argo-dep-a created")
		waitPairStatus(t, src, ns, "argo-dep-a", statusReady, statusReady)
		outcome.got = "two attempts SyncFailed (context deadline exceeded) while Terminating with Stork's Deleting event; created by the attempt after the dependent was deleted"
	})

}
