package flux

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

type healthCheckExpr struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	InProgress string `json:"inProgress"`
	Failed     string `json:"failed"`
	Current    string `json:"current"`
}

type fluxKustomization struct {
	Spec struct {
		HealthCheckExprs []healthCheckExpr `json:"healthCheckExprs"`
	} `json:"spec"`
}

// program builds a CEL program with the options of fluxcd/pkg runtime/cel:
// the expression is parsed, not compiled, because objects are untyped.
func program(t *testing.T, expr string) cel.Program {
	t.Helper()
	env, err := cel.NewEnv(
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		ext.Strings(),
		ext.Sets(),
		ext.Encoders(),
	)
	if err != nil {
		t.Fatal(err)
	}
	ast, issues := env.Parse(expr)
	if issues != nil && issues.Err() != nil {
		t.Fatalf("parse %q: %v", expr, issues.Err())
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.InterruptCheckFrequency(100))
	if err != nil {
		t.Fatal(err)
	}
	return prg
}

// evaluate applies Flux's order: inProgress, failed, current; none true
// means InProgress. An evaluation error is returned as Flux returns it.
func evaluate(t *testing.T, h healthCheckExpr, obj map[string]any) (string, error) {
	for _, e := range []struct{ expr, status string }{{h.InProgress, "InProgress"}, {h.Failed, "Failed"}, {h.Current, "Current"}} {
		if e.expr == "" {
			continue
		}
		val, _, err := program(t, e.expr).Eval(obj)
		if err != nil {
			return "", err
		}
		b, ok := val.(types.Bool)
		if !ok {
			return "", fmt.Errorf("expression %q is not boolean", e.expr)
		}
		if b {
			return e.status, nil
		}
	}
	return "InProgress", nil
}

func clusterPairExprs(t *testing.T) healthCheckExpr {
	t.Helper()
	data, err := os.ReadFile(testenv.Path("examples", "flux", "cluster", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k fluxKustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	for _, h := range k.Spec.HealthCheckExprs {
		if h.APIVersion == "stork.libopenstorage.org/v1alpha1" && h.Kind == "ClusterPair" {
			return h
		}
	}
	t.Fatal("no healthCheckExprs entry for ClusterPair")
	return healthCheckExpr{}
}

func pair(finalizer bool, status map[string]any) map[string]any {
	meta := map[string]any{"name": "dr-west", "namespace": "app"}
	if finalizer {
		meta["finalizers"] = []any{"stork.libopenstorage.org/finalizer-cleanup"}
	}
	obj := map[string]any{"apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "ClusterPair", "metadata": meta, "spec": map[string]any{}}
	if status != nil {
		obj["status"] = status
	}
	return obj
}

func st(scheduler, storage string) map[string]any {
	return map[string]any{"schedulerStatus": scheduler, "storageStatus": storage, "remoteStorageId": ""}
}

func TestClusterPairHealthCheckExprs(t *testing.T) {
	h := clusterPairExprs(t)
	cases := []struct {
		name string
		obj  map[string]any
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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := evaluate(t, h, c.obj)
			if err != nil || got != c.want {
				t.Errorf("health = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// TestAbsentStatusAfterFinalizer pins the one case CEL cannot express: once
// Stork has added its finalizer but not yet a status (a few seconds), the
// object has no "status" variable at all, and evaluation errors; Flux then
// retries. The README says so; if this ever stops erroring, update it.
func TestAbsentStatusAfterFinalizer(t *testing.T) {
	h := clusterPairExprs(t)
	_, err := evaluate(t, h, pair(true, nil))
	if err == nil || !strings.Contains(err.Error(), "no such attribute") {
		t.Fatalf("err = %v, want a missing-attribute error", err)
	}
}
