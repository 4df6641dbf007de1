//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
)

// storkFinalizer is the finalizer Stork's ClusterPair controller adds.
const storkFinalizer = "stork.libopenstorage.org/finalizer-cleanup"

// storkModel is a test double of Stork's ClusterPair controller. It follows
// the project's Stork contract (/work/shared/reference/stork-clusterpair-
// contract.md), §6 (controller, reconcile, deletion) and §13 (what Stork uses
// after pairing), which were written from libopenstorage/stork master
// 9dc3204: pkg/migration/controllers/clusterpair.go (handle(): finalizer,
// sticky statuses, deletion cleanup), drivers/volume/portworx/portworx.go
// (CreatePair/DeletePair, the only reader of ip, port, token, mode and
// backuplocation), pkg/controllers/controllers.go (requeue intervals) and
// pkg/apis/stork/v1alpha1/clusterpair.go (the type), and from
// libopenstorage/openstorage cluster/manager/pair.go (re-pairing an already
// paired cluster). What it does, per reconcile of one pair:
//
//   - Deletion (deletionTimestamp set, finalizer present): if options name
//     a backuplocation that another ClusterPair of the namespace (not itself
//     being deleted) also names, the deletion is refused: a Warning event
//     with reason Deleting, and the finalizer is kept (§6.3, PRs #1008,
//     #1510). Otherwise DeletePair(status.remoteStorageId) runs unless the ID
//     is empty or another such pair has the same remoteStorageId (§6.3, PR
//     #1052), and the finalizer is removed. The model does not delete
//     BackupLocations annotated created-by-stork: clusterpair-fn never
//     renders that annotation.
//   - No finalizer: it is added (a plain Update) and the pair requeued (§6.1.1).
//   - Storage side (§6.1.2): no token key: storageStatus NotProvided. A token
//     and storageStatus != Ready: CreatePair(options) on the fake driver;
//     success: Ready and remoteStorageId; failure: Error and a Warning event.
//     Ready is never re-checked (§6.1.4, §13): a later edit of the options
//     reaches the driver only through a new pair.
//   - Scheduler side (§6.1.3): while schedulerStatus != Ready, the probe
//     (storkSchedulerPair by default: the pair's spec.config, GET /version on
//     the destination); a rest config that cannot be built writes no status.
//   - Status is written as Stork writes it: a plain Update of the whole
//     object (the CRD has no status subresource), options untouched.
//
// The loop reconciles on every watch event and every resync (Stork requeues
// after 10 s, or 2 s after an error; the model uses a short interval, which
// changes when it acts, not what it does). Tests may hold it (hold/release)
// to fix the order of its actions relative to a GitOps engine's.
type storkModel struct {
	s      *apiServer
	ns     string
	driver *fakeDriver
	// probe pairs the scheduler side; default storkSchedulerPair.
	probe func(*storkClusterPair) schedulerPairing
	// resync is how often every pair is reconciled without an event.
	resync time.Duration

	gate   sync.Mutex // held while the test holds the model
	mu     sync.Mutex
	events []modelEvent
	errs   []string
	counts map[string]int // completed reconciles per namespace/name
}

// modelEvent is an event the model recorded (also created in the cluster).
type modelEvent struct {
	Pair, Type, Reason, Message string
}

// driverCall is one call of the fake Portworx driver.
type driverCall struct {
	Op       string // CreatePair or DeletePair
	Pair     string // namespace/name of the ClusterPair
	Options  map[string]string
	RemoteID string
}

// pxPair is the pair as the remote Portworx stores it.
type pxPair struct {
	Options map[string]string
}

// fakeDriver records the storage driver calls and keeps what Portworx would
// store: one pair per remote cluster, keyed by its cluster UUID (all pairs
// of these tests point at one remote cluster, remoteID). Pairing again with
// a paired cluster succeeds without updating the stored pair when the token
// is the same, and fails with "Invalid token for already paired cluster"
// otherwise (openstorage cluster/manager/pair.go, contract §13).
type fakeDriver struct {
	remoteID string
	mu       sync.Mutex
	calls    []driverCall
	pairs    map[string]pxPair
}

func newFakeDriver(remoteID string) *fakeDriver {
	return &fakeDriver{remoteID: remoteID, pairs: map[string]pxPair{}}
}

func (d *fakeDriver) CreatePair(pair string, options map[string]string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, driverCall{Op: "CreatePair", Pair: pair, Options: maps.Clone(options), RemoteID: d.remoteID})
	if old, ok := d.pairs[d.remoteID]; ok {
		if old.Options["token"] != options["token"] {
			return "", fmt.Errorf("Invalid token for already paired cluster")
		}
		return d.remoteID, nil
	}
	d.pairs[d.remoteID] = pxPair{Options: maps.Clone(options)}
	return d.remoteID, nil
}

func (d *fakeDriver) DeletePair(pair, remoteID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, driverCall{Op: "DeletePair", Pair: pair, RemoteID: remoteID})
	delete(d.pairs, remoteID) // "not found" is ignored
}

// Calls returns a copy of the calls so far.
func (d *fakeDriver) Calls() []driverCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]driverCall(nil), d.calls...)
}

// Stored returns the options Portworx holds for the remote cluster.
func (d *fakeDriver) Stored() (map[string]string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.pairs[d.remoteID]
	return maps.Clone(p.Options), ok
}

// since returns the calls after the first n.
func since(calls []driverCall, n int) []driverCall {
	if n > len(calls) {
		return nil
	}
	return calls[n:]
}

func newStorkModel(s *apiServer, ns string, driver *fakeDriver) *storkModel {
	return &storkModel{s: s, ns: ns, driver: driver, probe: storkSchedulerPair, resync: 250 * time.Millisecond, counts: map[string]int{}}
}

// hold stops the model before its next reconcile; release lets it go on.
func (m *storkModel) hold()    { m.gate.Lock() }
func (m *storkModel) release() { m.gate.Unlock() }

// Events returns the events recorded for the pair.
func (m *storkModel) Events(pair string) []modelEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []modelEvent
	for _, e := range m.events {
		if e.Pair == pair {
			out = append(out, e)
		}
	}
	return out
}

// run reconciles the namespace's pairs until the test ends: on each watch
// event and every resync interval.
func (m *storkModel) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, e := range m.errs {
			t.Logf("stork model: %s", e)
		}
	})
	go func() {
		defer close(done)
		ticker := time.NewTicker(m.resync)
		defer ticker.Stop()
		var w watch.Interface
		for ctx.Err() == nil {
			if w == nil {
				var err error
				w, err = m.s.dyn.Resource(clusterPairGVR).Namespace(m.ns).Watch(ctx, metav1.ListOptions{})
				if err != nil {
					m.logErr("watch: %v", err)
				}
			}
			var events <-chan watch.Event
			if w != nil {
				events = w.ResultChan()
			}
			select {
			case <-ctx.Done():
			case ev, ok := <-events:
				if !ok {
					w = nil
					continue
				}
				if o, isObj := ev.Object.(*unstructured.Unstructured); isObj && ev.Type != watch.Deleted {
					m.reconcileLocked(ctx, o.GetName())
				}
			case <-ticker.C:
				m.reconcileAll(ctx)
			}
		}
		if w != nil {
			w.Stop()
		}
	}()
}

func (m *storkModel) reconcileAll(ctx context.Context) {
	list, err := m.s.dyn.Resource(clusterPairGVR).Namespace(m.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		m.logErr("list: %v", err)
		return
	}
	for _, o := range list.Items {
		m.reconcileLocked(ctx, o.GetName())
	}
}

func (m *storkModel) reconcileLocked(ctx context.Context, name string) {
	m.gate.Lock()
	defer m.gate.Unlock()
	if ctx.Err() != nil {
		return
	}
	if err := m.reconcile(ctx, name); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		m.logErr("reconcile %s: %v", name, err)
	}
	m.mu.Lock()
	m.counts[m.ns+"/"+name]++
	m.mu.Unlock()
}

// reconciled is how many reconciles of the pair have completed.
func (m *storkModel) reconciled(ref string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[ref]
}

func (m *storkModel) logErr(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.errs) < 50 {
		m.errs = append(m.errs, fmt.Sprintf(format, args...))
	}
}

// reconcile is one pass of Stork's handle() over the pair.
func (m *storkModel) reconcile(ctx context.Context, name string) error {
	ri := m.s.dyn.Resource(clusterPairGVR).Namespace(m.ns)
	obj, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	cp, _, err := decodeStorkClusterPair(mustJSON(obj.Object))
	if err != nil {
		return fmt.Errorf("decoding: %w", err) // Stork's informer would fail too
	}
	ref := m.ns + "/" + name

	if obj.GetDeletionTimestamp() != nil {
		if !hasString(obj.GetFinalizers(), storkFinalizer) {
			return nil
		}
		others, err := m.livePairs(ctx, name)
		if err != nil {
			return err
		}
		if bl := cp.Spec.Options["backuplocation"]; bl != "" {
			var dependents []string
			for _, o := range others {
				if o.Spec.Options["backuplocation"] == bl {
					dependents = append(dependents, o.Name)
				}
			}
			if len(dependents) > 0 {
				sort.Strings(dependents)
				return m.event(ctx, obj, corev1.EventTypeWarning, "Deleting",
					fmt.Sprintf("other clusterpairs %v are dependent on this cluster pair (backuplocation %s), delete them first", dependents, bl))
			}
		}
		if id := cp.Status.RemoteStorageID; id != "" {
			shared := false
			for _, o := range others {
				if o.Status.RemoteStorageID == id {
					shared = true
				}
			}
			if !shared {
				m.driver.DeletePair(ref, id)
			}
		}
		obj.SetFinalizers(without(obj.GetFinalizers(), storkFinalizer))
		_, err = ri.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "stork"})
		return err
	}

	if !hasString(obj.GetFinalizers(), storkFinalizer) {
		obj.SetFinalizers(append(obj.GetFinalizers(), storkFinalizer))
		_, err = ri.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "stork"})
		return err // requeued: the next event continues
	}

	st := cp.Status
	changed := false
	var pending []modelEvent
	if _, ok := cp.Spec.Options["token"]; !ok {
		if st.StorageStatus != "NotProvided" {
			st.StorageStatus, changed = "NotProvided", true
			pending = append(pending, modelEvent{Type: corev1.EventTypeNormal, Reason: "NotProvided", Message: "Skipping storage pairing since no storage options provided"})
		}
	} else if st.StorageStatus != statusReady {
		id, err := m.driver.CreatePair(ref, cp.Spec.Options)
		if err != nil {
			st.StorageStatus, changed = statusError, true
			pending = append(pending, modelEvent{Type: corev1.EventTypeWarning, Reason: statusError, Message: err.Error()})
		} else {
			st.StorageStatus, st.RemoteStorageID, changed = statusReady, id, true
			pending = append(pending, modelEvent{Type: corev1.EventTypeNormal, Reason: statusReady, Message: "Storage successfully paired"})
		}
	}
	if st.SchedulerStatus != statusReady {
		p := m.probe(&cp)
		if p.LogOnly != nil {
			m.logErr("%s: %v (Stork only logs this)", ref, p.LogOnly)
		} else if p.Status != st.SchedulerStatus {
			st.SchedulerStatus, changed = p.Status, true
			typ := corev1.EventTypeNormal
			if p.Status == statusError {
				typ = corev1.EventTypeWarning
			}
			pending = append(pending, modelEvent{Type: typ, Reason: p.Status, Message: p.Event})
		}
	}
	if !changed {
		return nil
	}
	if err := unstructured.SetNestedMap(obj.Object, map[string]any{
		"schedulerStatus": st.SchedulerStatus,
		"storageStatus":   st.StorageStatus,
		"remoteStorageId": st.RemoteStorageID,
	}, "status"); err != nil {
		return err
	}
	updated, err := ri.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "stork"})
	if err != nil {
		return err
	}
	for _, e := range pending {
		if err := m.event(ctx, updated, e.Type, e.Reason, e.Message); err != nil {
			return err
		}
	}
	return nil
}

// livePairs decodes the namespace's other pairs that are not being deleted.
func (m *storkModel) livePairs(ctx context.Context, except string) ([]storkClusterPair, error) {
	list, err := m.s.dyn.Resource(clusterPairGVR).Namespace(m.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []storkClusterPair
	for _, o := range list.Items {
		if o.GetName() == except || o.GetDeletionTimestamp() != nil {
			continue
		}
		cp, _, err := decodeStorkClusterPair(mustJSON(o.Object))
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

// event records an event on the pair, in the cluster (as Stork's recorder
// does) and in the model's log.
func (m *storkModel) event(ctx context.Context, obj *unstructured.Unstructured, typ, reason, message string) error {
	m.mu.Lock()
	m.events = append(m.events, modelEvent{Pair: obj.GetName(), Type: typ, Reason: reason, Message: message})
	m.mu.Unlock()
	now := metav1.NewTime(time.Now())
	_, err := m.s.kube.CoreV1().Events(m.ns).Create(ctx, &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: obj.GetName() + "."},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(),
			Name: obj.GetName(), UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion(),
		},
		Type: typ, Reason: reason, Message: message,
		Source:         corev1.EventSource{Component: "stork"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}, metav1.CreateOptions{})
	return err
}

// clusterEvents lists the events of the pair as a user would see them
// (kubectl events --for clusterpair/NAME).
func clusterEvents(t *testing.T, s *apiServer, ns, name string) []corev1.Event {
	t.Helper()
	list, err := s.kube.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.AndSelectors(
			fields.OneTermEqualSelector("involvedObject.kind", "ClusterPair"),
			fields.OneTermEqualSelector("involvedObject.name", name),
		).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// waitUntil polls cond (every 100 ms, at most until the start-up deadline)
// and fails the test with what cond last said when it never holds. It bounds
// a wait for something another process does; it asserts nothing about time.
func waitUntil(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(startupDeadline)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s; last: %s", what, startupDeadline, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPairStatus waits until the model has written the pair's status.
func waitPairStatus(t testing.TB, s *apiServer, ns, name, scheduler, storage string) *unstructured.Unstructured {
	t.Helper()
	var got *unstructured.Unstructured
	waitUntil(t, fmt.Sprintf("ClusterPair %s/%s %s/%s", ns, name, scheduler, storage), func() (bool, string) {
		o, err := s.dyn.Resource(clusterPairGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		sch, _, _ := unstructured.NestedString(o.Object, "status", "schedulerStatus")
		sto, _, _ := unstructured.NestedString(o.Object, "status", "storageStatus")
		got = o
		return sch == scheduler && sto == storage && o.GetDeletionTimestamp() == nil, fmt.Sprintf("status %q/%q, deleting %v", sch, sto, o.GetDeletionTimestamp() != nil)
	})
	return got
}

// describeCalls is a one-line summary of driver calls for failure messages.
func describeCalls(calls []driverCall) string {
	var parts []string
	for _, c := range calls {
		p := c.Op + "(" + c.Pair
		if c.Op == "CreatePair" {
			keys := make([]string, 0, len(c.Options))
			for k := range c.Options {
				if k == "token" {
					continue // never printed
				}
				keys = append(keys, k+"="+c.Options[k])
			}
			sort.Strings(keys)
			p += " " + strings.Join(keys, ",")
		}
		parts = append(parts, p+")")
	}
	return "[" + strings.Join(parts, " ") + "]"
}
