package admission

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

func readYAML(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(testenv.Path("examples", "admission", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// TestPolicyMatchesOnlyClusterPairUpdates: the policy sees updates of Stork
// ClusterPairs and nothing else (creating and deleting must stay possible:
// they are how a pair is recreated), fails closed, and refuses as Invalid.
func TestPolicyMatchesOnlyClusterPairUpdates(t *testing.T) {
	p := readYAML(t, "policy.yaml")
	if p["apiVersion"] != "admissionregistration.k8s.io/v1" || p["kind"] != "ValidatingAdmissionPolicy" {
		t.Fatalf("policy.yaml is %v %v", p["apiVersion"], p["kind"])
	}
	want := []any{map[string]any{
		"apiGroups":   []any{"stork.libopenstorage.org"},
		"apiVersions": []any{"v1alpha1"},
		"operations":  []any{"UPDATE"},
		"resources":   []any{"clusterpairs"},
	}}
	if got := get(p, "spec", "matchConstraints", "resourceRules"); !reflect.DeepEqual(got, want) {
		t.Errorf("resourceRules = %v, want %v", got, want)
	}
	if got := get(p, "spec", "failurePolicy"); got != "Fail" {
		t.Errorf("failurePolicy = %v, want Fail", got)
	}
	validations, _ := get(p, "spec", "validations").([]any)
	if len(validations) == 0 {
		t.Fatal("no validations")
	}
	for i, v := range validations {
		// Forbidden (403) would keep kubectl apply --force (Argo CD's
		// Force=true) from recreating the pair.
		if r := get(v, "reason"); r != "Invalid" {
			t.Errorf("validations[%d].reason = %v, want Invalid", i, r)
		}
		msg, _ := get(v, "messageExpression").(string)
		if msg == "" {
			t.Errorf("validations[%d] has no messageExpression naming the keys", i)
		}
		// The message is built from key names only: it never reads the
		// objects, whose options hold the token.
		for _, leak := range []string{"object", "Options[", "Options."} {
			if strings.Contains(msg, leak) {
				t.Errorf("validations[%d].messageExpression reads %q: it may only use the key lists", i, leak)
			}
		}
	}
}

func TestBindingEnforcesThePolicyEverywhere(t *testing.T) {
	p, b := readYAML(t, "policy.yaml"), readYAML(t, "binding.yaml")
	if b["kind"] != "ValidatingAdmissionPolicyBinding" || b["apiVersion"] != "admissionregistration.k8s.io/v1" {
		t.Fatalf("binding.yaml is %v %v", b["apiVersion"], b["kind"])
	}
	if got, want := get(b, "spec", "policyName"), get(p, "metadata", "name"); got != want {
		t.Errorf("the binding names policy %v, the policy is %v", got, want)
	}
	if got := get(b, "spec", "validationActions"); !reflect.DeepEqual(got, []any{"Deny"}) {
		t.Errorf("validationActions = %v, want [Deny]", got)
	}
	if got := get(b, "spec", "matchResources"); got != nil {
		t.Errorf("the binding narrows matchResources (%v): every ClusterPair must be covered", got)
	}
}

// TestKustomizationBuildsBoth: what kubectl apply -k (or a GitOps engine)
// installs is exactly the two files.
func TestKustomizationBuildsBoth(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	cmd := exec.Command(kustomize, "build", testenv.Path("examples", "admission"))
	cmd.Env = testenv.IsolatedEnv(t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	var got []map[string]any
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	want := []map[string]any{readYAML(t, "policy.yaml"), readYAML(t, "binding.yaml")}
	if len(got) != 2 {
		t.Fatalf("kustomize build printed %d objects", len(got))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || reflect.DeepEqual(g, w)
		}
		if !found {
			t.Errorf("the build lacks %v %v as committed", w["kind"], get(w, "metadata", "name"))
		}
	}
}

// TestDocsSayWhereAndWhen: the README states the minimum Kubernetes version
// and the clusters that need it, and the install guide links it.
func TestDocsSayWhereAndWhen(t *testing.T) {
	readme, err := os.ReadFile(testenv.Path("examples", "admission", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Kubernetes 1.30 or newer", "**source**", "**destination**", "spec.reverse", "reason **Invalid**"} {
		if !strings.Contains(string(readme), s) {
			t.Errorf("README.md does not say %q", s)
		}
	}
	install, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "install.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(install), "(../examples/admission/)") {
		t.Error("docs/install.md does not link examples/admission/")
	}
}
