package argocd_test

import (
	"os"
	"testing"
)

// The health script itself is evaluated by Argo CD's own Lua runtime, for
// every case of health_test.yaml, in test/gitops/argocd (make e2e-gitops).

// TestArgoCDConfigMapHealthMatchesScript keeps the argocd-cm snippet equal
// to the script in Argo CD's layout.
func TestArgoCDConfigMapHealthMatchesScript(t *testing.T) {
	script, err := os.ReadFile(example("resource_customizations", "stork.libopenstorage.org", "ClusterPair", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	cm := readObject(t, example("health", "argocd-cm.yaml"))
	if cm["kind"] != "ConfigMap" || get(cm, "metadata", "name") != "argocd-cm" {
		t.Fatalf("health/argocd-cm.yaml is not the argocd-cm ConfigMap")
	}
	data, _ := cm["data"].(map[string]any)
	const key = "resource.customizations.health.stork.libopenstorage.org_ClusterPair"
	if len(data) != 1 || data[key] == nil {
		t.Fatalf("health/argocd-cm.yaml data = %v, want exactly the key %s", data, key)
	}
	if data[key] != string(script) {
		t.Errorf("the script in health/argocd-cm.yaml differs from health.lua; copy it again (indented by 4 spaces)")
	}
}
