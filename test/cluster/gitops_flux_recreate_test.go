//go:build cluster && gitops

package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// renderFluxPair renders r as examples/flux/render.sh does in CI (encrypted
// to key, into dir/rendered/clusterpair.yaml) and returns the rendered
// directory: what Flux's source-controller hands kustomize-controller.
func renderFluxPair(t *testing.T, key ageKey, r pairRequest, dir ...string) (reqDir, rendered string) {
	t.Helper()
	r.extra += "  output:\n    file: rendered/clusterpair.yaml\n    encrypt:\n      age:\n        - " + key.recipient + "\n"
	reqDir = pairRequestDir(t, key, r, dir...)
	rendered = filepath.Join(reqDir, "rendered")
	if err := os.MkdirAll(rendered, 0o755); err != nil {
		t.Fatal(err)
	}
	out := kustomizeBuild(t, reqDir, "SOPS_AGE_KEY="+key.identity)
	if out.err != nil {
		t.Fatalf("render: %v\n%s", out.err, out.stderr)
	}
	if !strings.Contains(out.stdout, "\nsops:") {
		t.Fatalf("the render is not encrypted:\n%s", trimLines(out.stdout, 10))
	}
	writeFile(t, filepath.Join(rendered, "clusterpair.yaml"), []byte(out.stdout))
	return reqDir, rendered
}

// testFluxRecreate runs Flux's apply code (fluxapply: fluxcd/pkg/ssa with
// kustomize-controller's apply options) on rendered pairs whose options
// change, with examples/admission installed, and a model of Stork's
// controller (storkmodel_test.go) pairing them through a fake Portworx
// driver: an options change deletes and recreates the pair and Stork pairs
// it again with the new options; a config-only change patches it in place;
// without the policy the options change is applied in place and Stork never
// sees it; a deletion Stork refuses keeps the apply waiting.
func testFluxRecreate(t *testing.T, src, dst *apiServer, fluxapply string, key ageKey) {
	ctx := context.Background()
	const ns = "flux-recreate"
	ensureNamespace(t, src, ns)
	ks := testenv.Path("examples", "flux", "cluster", "kustomization.yaml")
	kubeconfig := adminKubeconfig(t, src)
	keyFile := writeFile(t, filepath.Join(t.TempDir(), "identity.agekey"), []byte(key.identity+"\n"))
	driver := newFakeDriver("px-remote-uuid")
	model := newStorkModel(src, ns, driver)
	model.run(t)
	installAdmissionPolicy(t, src)
	t.Cleanup(func() { removeAdmissionBinding(t, src) })
	ri := src.dyn.Resource(clusterPairGVR).Namespace(ns)

	artifact := func(t *testing.T, rendered string) string {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "artifact")
		copyDir(t, rendered, dir) // as source-controller's artifact, extracted
		return dir
	}
	apply := func(t *testing.T, rendered string, extra ...string) toolResult {
		t.Helper()
		args := append([]string{"apply", "-kubeconfig", kubeconfig, "-kustomization", ks, "-path", artifact(t, rendered), "-age-key-file", keyFile}, extra...)
		r := runTool(t, fluxapply, nil, args...)
		if strings.Contains(r.stdout+r.stderr, key.identity) {
			t.Errorf("the age identity reached fluxapply's output")
		}
		return r
	}
	mustApply := func(t *testing.T, rendered, want string) {
		t.Helper()
		r := apply(t, rendered)
		if r.err != nil {
			t.Fatalf("fluxapply apply: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		if strings.TrimSpace(r.stdout) != want {
			t.Fatalf("ssa reports %q, want %q (stderr: %s)", strings.TrimSpace(r.stdout), want, r.stderr)
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
	req := pairRequest{name: "flux-pair", ns: ns, kubeconfig: destinationKubeconfig(t, dst), ip: "px-a.e2e.invalid", token: tokenA}
	reqDir, rendered := renderFluxPair(t, key, req)
	subject := "ClusterPair/" + ns + "/flux-pair"

	t.Run("first apply pairs", func(t *testing.T) {
		mustApply(t, rendered, "created "+subject)
		live := waitPairStatus(t, src, ns, "flux-pair", statusReady, statusReady)
		if got := live.GetAnnotations()["kustomize.toolkit.fluxcd.io/force"]; got != "enabled" {
			t.Fatalf("the applied pair's force annotation is %q", got)
		}
		if calls := driver.Calls(); len(calls) != 1 || calls[0].Op != "CreatePair" || calls[0].Options["token"] != tokenA {
			t.Fatalf("driver calls %s, want one CreatePair with token A", describeCalls(calls))
		}
	})

	t.Run("options change deletes and recreates the pair", func(t *testing.T) {
		outcome := probeOutcome{name: "Flux: options change with the policy", expected: "recreated (new UID), DeletePair then CreatePair with the new options, Ready"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		before, oldUID := len(driver.Calls()), uid(t, "flux-pair")
		req.ip, req.token = "px-b.e2e.invalid", tokenB
		_, rendered = renderFluxPair(t, key, req, reqDir)
		// The refused dry-run, the delete, the wait for Stork's finalizer and
		// the new apply are one ssa call; ssa reports the result as created.
		mustApply(t, rendered, "created "+subject)
		live := waitPairStatus(t, src, ns, "flux-pair", statusReady, statusReady)
		if string(live.GetUID()) == oldUID {
			t.Fatal("the pair was not recreated (same UID)")
		}
		calls := since(driver.Calls(), before)
		outcome.got = describeCalls(calls)
		if len(calls) != 2 || calls[0].Op != "DeletePair" || calls[1].Op != "CreatePair" ||
			calls[1].Options["ip"] != "px-b.e2e.invalid" || calls[1].Options["token"] != tokenB {
			t.Fatalf("driver calls %s, want DeletePair then CreatePair with ip px-b.e2e.invalid and token B", describeCalls(calls))
		}
		if stored, _ := driver.Stored(); stored["token"] != tokenB || stored["ip"] != "px-b.e2e.invalid" {
			t.Fatalf("Portworx holds ip %q, not the new options", stored["ip"])
		}
	})

	t.Run("config-only change patches in place", func(t *testing.T) {
		outcome := probeOutcome{name: "Flux: spec.config change with the policy", expected: "configured in place (same UID), no driver call, still Ready"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		before, oldUID := len(driver.Calls()), uid(t, "flux-pair")
		oldConfig := getObjectField(t, src, ns, "flux-pair", "spec", "config")
		req.kubeconfig = destinationKubeconfig(t, dst) // a new client certificate: a credential rotation
		_, rendered = renderFluxPair(t, key, req, reqDir)
		mustApply(t, rendered, "configured "+subject)
		settle(t, src, model, ns, "flux-pair")
		live := waitPairStatus(t, src, ns, "flux-pair", statusReady, statusReady)
		if string(live.GetUID()) != oldUID {
			t.Fatal("a config-only change recreated the pair")
		}
		if sameJSON(getObjectField(t, src, ns, "flux-pair", "spec", "config"), oldConfig) {
			t.Fatal("the new credential was not applied")
		}
		if calls := since(driver.Calls(), before); len(calls) != 0 {
			t.Fatalf("a config-only change called the driver: %s", describeCalls(calls))
		}
		outcome.got = "configured, same UID, no driver call"
	})

	t.Run("without the policy an options change is applied in place and ignored", func(t *testing.T) {
		outcome := probeOutcome{name: "Flux: options change without the policy", expected: "configured in place, no CreatePair: Portworx keeps the old options (the silent case)"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		removeAdmissionBinding(t, src)
		defer installAdmissionPolicy(t, src)
		before, oldUID := len(driver.Calls()), uid(t, "flux-pair")
		req.ip, req.token = "px-c.e2e.invalid", tokenC
		_, rendered = renderFluxPair(t, key, req, reqDir)
		mustApply(t, rendered, "configured "+subject)
		settle(t, src, model, ns, "flux-pair")
		live := waitPairStatus(t, src, ns, "flux-pair", statusReady, statusReady)
		if string(live.GetUID()) != oldUID {
			t.Fatal("the pair was recreated without the policy")
		}
		if opts, _, _ := unstructured.NestedStringMap(live.Object, "spec", "options"); opts["token"] != tokenC {
			t.Fatal("the new options were not stored")
		}
		if calls := since(driver.Calls(), before); len(calls) != 0 {
			t.Fatalf("the driver was called: %s", describeCalls(calls))
		}
		if stored, _ := driver.Stored(); stored["token"] != tokenB || stored["ip"] != "px-b.e2e.invalid" {
			t.Fatalf("Portworx holds ip %q; want the old px-b.e2e.invalid", stored["ip"])
		}
		outcome.got = "configured, same UID, Ready, no driver call; Portworx still has the previous endpoint and token"
	})

	t.Run("a deletion Stork refuses keeps the apply waiting", func(t *testing.T) {
		outcome := probeOutcome{name: "Flux: options change of a pair another pair depends on (backuplocation)",
			expected: "ssa waits for the finalizer with no deadline; with one, fails \"failed to wait for object to be deleted\"; Stork's reason only in its event"}
		defer func() { outcome.ok = !t.Failed(); summary.addProbe(outcome) }()
		// Alone with its dependent: no third pair shares the Portworx pair
		// (which would keep it, see examples/admission's limits).
		if err := ri.Delete(ctx, "flux-pair", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, src, ns, "flux-pair")
		dep := func(name, token string) pairRequest {
			return pairRequest{name: name, ns: ns, kubeconfig: req.kubeconfig, ip: "px-b.e2e.invalid", token: token, backupLocation: "shared-bl"}
		}
		// Both pairs to the same remote with the same token: one Portworx pair.
		depA := dep("flux-dep-a", tokenB)
		dirA, renderedA := renderFluxPair(t, key, depA)
		_, renderedB := renderFluxPair(t, key, dep("flux-dep-b", tokenB))
		mustApply(t, renderedA, "created ClusterPair/"+ns+"/flux-dep-a")
		mustApply(t, renderedB, "created ClusterPair/"+ns+"/flux-dep-b")
		waitPairStatus(t, src, ns, "flux-dep-a", statusReady, statusReady)
		waitPairStatus(t, src, ns, "flux-dep-b", statusReady, statusReady)
		depA.token = "px-token-d-" + randomHex(t)
		_, renderedA = renderFluxPair(t, key, depA, dirA)

		// With a deadline on the apply (kustomize-controller sets none; a
		// controller-runtime ReconciliationTimeout would be one): ssa gives up
		// when it ends, naming the object, not Stork's reason.
		r := apply(t, renderedA, "-timeout", "15s")
		if r.err == nil || !strings.Contains(r.stderr, "ClusterPair/"+ns+"/flux-dep-a immutable field detected, failed to wait for object to be deleted: context deadline exceeded") {
			t.Fatalf("apply with a deadline: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		if strings.Contains(r.stderr, "dependent") {
			t.Errorf("ssa's error carries Stork's reason after all (update the docs): %s", r.stderr)
		}
		live, err := ri.Get(ctx, "flux-dep-a", metav1.GetOptions{})
		if err != nil || live.GetDeletionTimestamp() == nil || !hasString(live.GetFinalizers(), storkFinalizer) {
			t.Fatalf("flux-dep-a after the failed apply: %v, want Terminating with Stork's finalizer", err)
		}
		reason := ""
		for _, e := range clusterEvents(t, src, ns, "flux-dep-a") {
			if e.Type == "Warning" && e.Reason == "Deleting" {
				reason = e.Message
			}
		}
		if !strings.Contains(reason, "other clusterpairs [flux-dep-b] are dependent on this cluster pair") {
			t.Fatalf("no Warning event with Stork's reason on flux-dep-a (got %q)", reason)
		}

		// As the controller calls it (no deadline): the apply keeps polling
		// for as long as Stork keeps the finalizer; once the dependent pair
		// is deleted, Stork's cleanup completes and the same apply recreates
		// the pair.
		p, stderrPath := startFluxapply(t, fluxapply, "apply", "-kubeconfig", kubeconfig, "-kustomization", ks, "-path", artifact(t, renderedA), "-age-key-file", keyFile)
		ref := "get ClusterPair " + ns + "/flux-dep-a"
		waitUntil(t, "ssa deletes flux-dep-a and polls it twice", func() (bool, string) {
			trace := readFile(t, stderrPath)
			i := strings.Index(trace, "delete ClusterPair "+ns+"/flux-dep-a")
			if p.exited() {
				t.Fatalf("fluxapply exited while Stork refused the deletion (%v):\n%s", p.waitErr, trace)
			}
			return i >= 0 && strings.Count(trace[i:], ref) >= 2, trimLines(trace, 20)
		})
		if p.exited() {
			t.Fatalf("fluxapply exited while Stork refused the deletion: %v", p.waitErr)
		}
		before := len(driver.Calls())
		if err := ri.Delete(ctx, "flux-dep-b", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		<-p.done
		trace := readFile(t, stderrPath)
		if p.waitErr != nil {
			t.Fatalf("fluxapply failed once the finalizer went: %v\n%s", p.waitErr, trace)
		}
		if out := readFile(t, p.logPath); strings.TrimSpace(out) != "created ClusterPair/"+ns+"/flux-dep-a" {
			t.Fatalf("ssa reports %q, want the pair created", out)
		}
		waitPairStatus(t, src, ns, "flux-dep-a", statusReady, statusReady)
		var created bool
		for _, c := range since(driver.Calls(), before) {
			created = created || (c.Op == "CreatePair" && c.Pair == ns+"/flux-dep-a" && c.Options["token"] == depA.token)
		}
		if !created {
			t.Fatalf("no CreatePair with the new token after the recreate: %s", describeCalls(since(driver.Calls(), before)))
		}
		outcome.got = fmt.Sprintf("with -timeout: %q; without: polled %d times while refused, recreated after the dependent went",
			"failed to wait for object to be deleted: context deadline exceeded", strings.Count(trace, ref))
	})
}

// startFluxapply starts fluxapply in the background with FLUXAPPLY_TRACE set
// (its Gets and Deletes on stderr); its stdout goes to the process's log.
func startFluxapply(t *testing.T, bin string, args ...string) (*process, string) {
	t.Helper()
	dir := t.TempDir()
	stdoutPath, stderrPath := filepath.Join(dir, "stdout"), filepath.Join(dir, "stderr")
	stdout, err := os.Create(stdoutPath)
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(testenv.IsolatedEnv(t.TempDir()), "FLUXAPPLY_TRACE=1")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{name: "fluxapply", pid: cmd.Process.Pid, logPath: stdoutPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		stdout.Close()
		stderr.Close()
		close(p.done)
	}()
	tracked.Lock()
	tracked.procs = append(tracked.procs, p)
	tracked.Unlock()
	t.Cleanup(p.stop)
	return p, stderrPath
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// getObjectField reads one field of a stored pair.
func getObjectField(t *testing.T, s *apiServer, ns, name string, path ...string) any {
	t.Helper()
	o, err := s.dyn.Resource(clusterPairGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, _, _ := unstructured.NestedFieldCopy(o.Object, path...)
	return v
}
