package flux

import (
	"context"
	"strings"
	"testing"

	kustomizeapi "github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func pair(finalizer bool, status map[string]any) *unstructured.Unstructured {
	meta := map[string]any{"name": "dr-west", "namespace": "app"}
	if finalizer {
		meta["finalizers"] = []any{"stork.libopenstorage.org/finalizer-cleanup"}
	}
	obj := map[string]any{"apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "ClusterPair", "metadata": meta, "spec": map[string]any{}}
	if status != nil {
		obj["status"] = status
	}
	return &unstructured.Unstructured{Object: obj}
}

func terminating(u *unstructured.Unstructured) *unstructured.Unstructured {
	u.Object["metadata"].(map[string]any)["deletionTimestamp"] = "2026-12-01T00:00:00Z"
	return u
}

func st(scheduler, storage string) map[string]any {
	return map[string]any{"schedulerStatus": scheduler, "storageStatus": storage, "remoteStorageId": ""}
}

// TestClusterPairHealthCheckExprs evaluates examples/flux's healthCheckExprs
// with Flux's own CEL status evaluator (fluxcd/pkg/runtime/cel, the code
// kustomize-controller runs for spec.healthCheckExprs).
func TestClusterPairHealthCheckExprs(t *testing.T) {
	ev := statusEvaluator(t)
	cases := []struct {
		name string
		obj  *unstructured.Unstructured
		want string
	}{
		{"ready/ready", pair(true, st("Ready", "Ready")), "Current"},
		{"ready/not provided (sync DR)", pair(true, st("Ready", "NotProvided")), "Current"},
		{"scheduler error", pair(true, st("Error", "NotProvided")), "Failed"},
		{"storage error", pair(true, st("Ready", "Error")), "Failed"},
		{"error while the other side is pending", pair(true, st("Pending", "Error")), "Failed"},
		{"degraded", pair(true, st("Degraded", "Ready")), "Failed"},
		{"pending", pair(true, st("Pending", "Pending")), "InProgress"},
		{"empty strings", pair(true, st("", "")), "InProgress"},
		{"empty status", pair(true, map[string]any{}), "InProgress"},
		{"only the scheduler reported", pair(true, map[string]any{"schedulerStatus": "Ready"}), "InProgress"},
		{"absent status, just applied", pair(false, nil), "InProgress"},
		{"a stale Ready status before Stork reconciled", pair(false, st("Ready", "Ready")), "InProgress"},
		// Being deleted (recreated after an options change, or a deletion
		// Stork refuses): the old Ready status no longer says anything.
		{"terminating with a Ready status", terminating(pair(true, st("Ready", "Ready"))), "InProgress"},
		{"terminating with an Error status", terminating(pair(true, st("Error", "Ready"))), "InProgress"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ev.Evaluate(context.Background(), c.obj)
			if err != nil || string(got.Status) != c.want {
				t.Errorf("health = %v, %v; want %q", got, err, c.want)
			}
		})
	}
}

// TestAbsentStatusAfterFinalizer pins the one case CEL cannot express: once
// Stork has added its finalizer but not yet a status (a few seconds), the
// object has no "status" variable at all, and Flux's evaluation errors; Flux
// then retries. examples/flux/README.md says so; if this ever stops
// erroring, update it.
func TestAbsentStatusAfterFinalizer(t *testing.T) {
	_, err := statusEvaluator(t).Evaluate(context.Background(), pair(true, nil))
	if err == nil || !strings.Contains(err.Error(), "no such attribute") {
		t.Fatalf("err = %v, want a missing-attribute error", err)
	}
}

// statusEvaluator is Flux's evaluator for the example's ClusterPair entry.
func statusEvaluator(t *testing.T) *cel.StatusEvaluator {
	t.Helper()
	h := clusterPairCheck(t)
	ev, err := cel.NewStatusEvaluator(&h.HealthCheckExpressions)
	if err != nil {
		t.Fatalf("Flux rejects the example's healthCheckExprs: %v", err)
	}
	return ev
}

// clusterPairCheck is the ClusterPair entry of examples/flux's Kustomization.
func clusterPairCheck(t *testing.T) kustomizeapi.CustomHealthCheck {
	t.Helper()
	var k struct {
		Spec struct {
			HealthCheckExprs []kustomizeapi.CustomHealthCheck `json:"healthCheckExprs"`
		} `json:"spec"`
	}
	readYAML(t, repoPath("examples/flux/cluster/kustomization.yaml"), &k)
	for _, h := range k.Spec.HealthCheckExprs {
		if h.APIVersion == "stork.libopenstorage.org/v1alpha1" && h.Kind == "ClusterPair" {
			return h
		}
	}
	t.Fatal("no healthCheckExprs entry for ClusterPair")
	return kustomizeapi.CustomHealthCheck{}
}
