package argosync

import (
	"testing"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/health"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// healthy stands in for the ClusterPair health script of examples/argocd
// on a Ready pair (that script's own cases run in Argo CD's Lua runtime in
// test/gitops/argocd): it says Healthy.
type healthy struct{}

func (healthy) GetResourceHealth(*unstructured.Unstructured) (*health.HealthStatus, error) {
	return &health.HealthStatus{Status: health.HealthStatusHealthy, Message: "Paired (scheduler Ready, storage Ready)"}, nil
}

func readyPair(deleting bool) *unstructured.Unstructured {
	meta := map[string]any{
		"name": "dr-west", "namespace": "app",
		"finalizers": []any{"stork.libopenstorage.org/finalizer-cleanup"},
	}
	if deleting {
		meta["deletionTimestamp"] = "2026-12-01T00:00:00Z"
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "ClusterPair", "metadata": meta,
		"status": map[string]any{"schedulerStatus": "Ready", "storageStatus": "Ready"},
	}}
}

// TestTerminatingPairIsProgressing: while a pair is being deleted (recreated
// after an options change, or a deletion Stork refuses), gitops-engine
// reports it Progressing, naming Stork's finalizer, whatever the health
// script says about its old status: the script needs no deletion case.
func TestTerminatingPairIsProgressing(t *testing.T) {
	got, err := health.GetResourceHealth(readyPair(true), healthy{})
	if err != nil {
		t.Fatal(err)
	}
	want := "Pending deletion; blocked by finalizers: stork.libopenstorage.org/finalizer-cleanup"
	if got.Status != health.HealthStatusProgressing || got.Message != want {
		t.Fatalf("health of a Terminating Ready pair = %s %q, want Progressing %q", got.Status, got.Message, want)
	}
	got, err = health.GetResourceHealth(readyPair(false), healthy{})
	if err != nil || got.Status != health.HealthStatusHealthy {
		t.Fatalf("health of a Ready pair = %v, %v; want the script's Healthy", got, err)
	}
}
