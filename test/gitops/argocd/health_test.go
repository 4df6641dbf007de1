package argocd

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"
)

// healthCases is the format of Argo CD's health_test.yaml.
type healthCases struct {
	Tests []struct {
		HealthStatus struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"healthStatus"`
		InputPath string `json:"inputPath"`
	} `json:"tests"`
}

// TestArgoCDHealthCheck loads examples/argocd/health/argocd-cm.yaml through
// Argo CD's own settings manager (as the application controller reads
// argocd-cm) and evaluates every case of the example's health_test.yaml with
// Argo CD's own Lua runtime (util/lua, the code behind
// resource.customizations.health), same version as the servers of this
// suite. It also requires the four states the issue names: no status,
// Pending, Ready and Error.
func TestArgoCDHealthCheck(t *testing.T) {
	overrides := argoCDResourceOverrides(t, repoPath(t, "examples/argocd/health/argocd-cm.yaml"))
	dir := repoPath(t, "examples/argocd/resource_customizations/stork.libopenstorage.org/ClusterPair")
	var cases healthCases
	readYAML(t, filepath.Join(dir, "health_test.yaml"), &cases)
	if len(cases.Tests) == 0 {
		t.Fatal("health_test.yaml has no tests")
	}
	seen := map[string]string{}
	for _, tc := range cases.Tests {
		t.Run(tc.InputPath, func(t *testing.T) {
			var obj unstructured.Unstructured
			readYAML(t, filepath.Join(dir, tc.InputPath), &obj.Object)
			got, err := overrides.GetResourceHealth(&obj)
			if err != nil {
				t.Fatalf("Argo CD's Lua runtime: %v", err)
			}
			if got == nil {
				t.Fatal("Argo CD found no health check for the ClusterPair in argocd-cm.yaml")
			}
			if string(got.Status) != tc.HealthStatus.Status || got.Message != tc.HealthStatus.Message {
				t.Errorf("got %s %q, want %s %q", got.Status, got.Message, tc.HealthStatus.Status, tc.HealthStatus.Message)
			}
			status, _, _ := unstructured.NestedMap(obj.Object, "status")
			seen[stateOf(status)] = string(got.Status)
		})
	}
	want := map[string]string{"absent": "Progressing", "Pending": "Progressing", "Ready": "Healthy", "Error": "Degraded"}
	for state, health := range want {
		if seen[state] != health {
			t.Errorf("health_test.yaml: a ClusterPair with status %s should be %s, got %q", state, health, seen[state])
		}
	}
}

// TestHealthCasesCoverEveryStatus checks that health_test.yaml uses every
// input file (as in Argo CD's layout), exercises the three outcomes and every
// value Stork defines for a side's status.
func TestHealthCasesCoverEveryStatus(t *testing.T) {
	dir := repoPath(t, "examples/argocd/resource_customizations/stork.libopenstorage.org/ClusterPair")
	var cases healthCases
	readYAML(t, filepath.Join(dir, "health_test.yaml"), &cases)
	used := map[string]bool{}
	outcomes := map[string]bool{}
	sides := map[string]bool{}
	noStatus := false
	for _, tc := range cases.Tests {
		used[filepath.Clean(tc.InputPath)] = true
		outcomes[tc.HealthStatus.Status] = true
		var obj map[string]any
		readYAML(t, filepath.Join(dir, tc.InputPath), &obj)
		status, ok := obj["status"].(map[string]any)
		if !ok {
			noStatus = true
			continue
		}
		for _, k := range []string{"schedulerStatus", "storageStatus"} {
			if v, ok := status[k].(string); ok {
				sides[v] = true
			}
		}
	}
	inputs, _ := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
	for _, in := range inputs {
		if r, _ := filepath.Rel(dir, in); !used[r] {
			t.Errorf("%s is not used by health_test.yaml", r)
		}
	}
	var missing []string
	for _, o := range []string{"Healthy", "Progressing", "Degraded"} {
		if !outcomes[o] {
			missing = append(missing, "outcome "+o)
		}
	}
	// Stork's ClusterPairStatusType values, except Deleting (an event reason only).
	for _, s := range []string{"", "Pending", "Ready", "Error", "Degraded", "NotProvided"} {
		if !sides[s] {
			missing = append(missing, "side status "+`"`+s+`"`)
		}
	}
	if !noStatus {
		missing = append(missing, "an object without status")
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("health_test.yaml lacks: %s", strings.Join(missing, ", "))
	}
}

// stateOf names a test object's status the way the issue does: absent, or
// both sides' common value.
func stateOf(status map[string]any) string {
	if len(status) == 0 {
		return "absent"
	}
	sched, _ := status["schedulerStatus"].(string)
	storage, _ := status["storageStatus"].(string)
	if sched == storage {
		return sched
	}
	return sched + "/" + storage
}

// argoCDResourceOverrides reads an argocd-cm ConfigMap the way Argo CD does:
// its settings manager over a clientset holding that ConfigMap.
func argoCDResourceOverrides(t *testing.T, path string) lua.ResourceHealthOverrides {
	t.Helper()
	var cm corev1.ConfigMap
	readYAML(t, path, &cm)
	cm.Namespace = "argocd"
	cm.Labels = map[string]string{"app.kubernetes.io/part-of": "argocd"}
	secret := &corev1.Secret{}
	secret.Name, secret.Namespace = "argocd-secret", "argocd"
	secret.Labels = map[string]string{"app.kubernetes.io/part-of": "argocd"}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	mgr := settings.NewSettingsManager(ctx, fake.NewClientset(&cm, secret), "argocd")
	overrides, err := mgr.GetResourceOverrides()
	if err != nil {
		t.Fatalf("Argo CD's settings manager rejects %s: %v", path, err)
	}
	return overrides
}

// repoPath is a path in the repository (this module is test/gitops/argocd).
func repoPath(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join("..", "..", "..", filepath.FromSlash(rel))
}

func readYAML(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
