package argocd_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/argohealth"
)

// TestHealthScripts runs every health.lua under resource_customizations/
// over every case of its health_test.yaml, as Argo CD's TestLuaHealthScript
// does (status and message must match exactly), and again without the
// standard libraries, as argocd-cm scripts run unless useOpenLibs is set.
func TestHealthScripts(t *testing.T) {
	root := example("resource_customizations")
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "health.lua" {
			dirs = append(dirs, filepath.Dir(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no health.lua under %s", root)
	}
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		t.Run(rel, func(t *testing.T) {
			script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
			if err != nil {
				t.Fatal(err)
			}
			tests, err := argohealth.LoadTests(dir)
			if err != nil {
				t.Fatal(err)
			}
			used := map[string]bool{}
			for _, tc := range tests {
				used[filepath.Clean(tc.InputPath)] = true
				obj, err := argohealth.LoadObject(filepath.Join(dir, tc.InputPath))
				if err != nil {
					t.Fatal(err)
				}
				for _, libs := range []bool{true, false} {
					got, err := argohealth.Run(string(script), obj, libs)
					if err != nil {
						t.Errorf("%s (openLibs=%v): %v", tc.InputPath, libs, err)
						continue
					}
					if got != tc.HealthStatus {
						t.Errorf("%s (openLibs=%v):\n got  %+v\n want %+v", tc.InputPath, libs, got, tc.HealthStatus)
					}
				}
			}
			// Like Argo CD's layout: every input file is a test case.
			inputs, _ := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
			for _, in := range inputs {
				if r, _ := filepath.Rel(dir, in); !used[r] {
					t.Errorf("%s is not used by health_test.yaml", r)
				}
			}
		})
	}
}

// TestClusterPairHealthCoversEveryStatus checks that health_test.yaml
// exercises each of the three outcomes the issue specifies and every value
// Stork defines for a side's status.
func TestClusterPairHealthCoversEveryStatus(t *testing.T) {
	dir := example("resource_customizations", "stork.libopenstorage.org", "ClusterPair")
	tests, err := argohealth.LoadTests(dir)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]bool{}
	sides := map[string]bool{}
	noStatus := false
	for _, tc := range tests {
		outcomes[tc.HealthStatus.Status] = true
		obj, err := argohealth.LoadObject(filepath.Join(dir, tc.InputPath))
		if err != nil {
			t.Fatal(err)
		}
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
