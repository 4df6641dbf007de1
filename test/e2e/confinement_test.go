package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// escapeRepo is a repository as a shared renderer sees it: team A's pair
// directory holds a request but none of the files it names; team B's
// directory beside it holds exactly those files, encrypted to the same key.
// Any render that succeeds has read team B's secrets.
func escapeRepo(t *testing.T, annotations string) (repo, teamA string) {
	t.Helper()
	repo = t.TempDir()
	teamA = filepath.Join(repo, "team-a")
	teamB := filepath.Join(repo, "team-b")
	for _, d := range []string{teamA, teamB} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"destination-kubeconfig.yaml", "px-token.enc"} {
		data, err := os.ReadFile(testenv.Path("examples", "kustomize", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(teamB, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	request := strings.ReplaceAll(`apiVersion: fn.clusterpair.dev/v1alpha1
kind: ClusterPairRequest
metadata:
  name: stolen
  namespace: app
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: clusterpair-fn
ANNOTATIONS
spec:
  mode: async-dr
  destination:
    kubeconfig:
      file: destination-kubeconfig.yaml
  storage:
    ip: attacker.example.com
    token:
      file: px-token.enc
  output:
    plaintext: allow
`, "ANNOTATIONS", strings.ReplaceAll(annotations, "TEAM_B", teamB))
	files := map[string]string{
		"clusterpair.yaml":   request,
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ngenerators:\n  - clusterpair.yaml\n",
		"Kptfile":            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: team-a\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n    - exec: clusterpair-fn\n      configPath: clusterpair.yaml\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(teamA, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo, teamA
}

// The annotations a request can set on itself to point at team B.
var escapes = []struct{ name, annotations, annotation string }{
	{"internal path", "    internal.config.kubernetes.io/path: ../team-b/clusterpair.yaml", "internal.config.kubernetes.io/path"},
	{"legacy path", "    config.kubernetes.io/path: ../team-b/clusterpair.yaml", "config.kubernetes.io/path"},
	{"package-path", "    internal.config.kubernetes.io/package-path: TEAM_B", "internal.config.kubernetes.io/package-path"},
}

// assertRefused checks that a render failed without rendering a pair or
// printing any of team B's secrets, and (when annotation is set) that it
// said which annotation it refused.
func assertRefused(t *testing.T, tool string, r result, annotation string, secrets []string) {
	t.Helper()
	out := r.stdout + r.stderr
	if r.err == nil {
		t.Errorf("%s: succeeded; team B's secrets were rendered:\n%s", tool, out)
	}
	if strings.Contains(r.stdout, "kind: ClusterPair\n") {
		t.Errorf("%s: rendered a ClusterPair", tool)
	}
	if annotation != "" && !strings.Contains(out, annotation) {
		t.Errorf("%s: the refusal does not name the annotation %s:\n%s", tool, annotation, out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("%s: output contains a secret of team B", tool)
		}
	}
}

// TestEscapesRefusedUnderEveryRenderer: a request whose own annotations
// point at a sibling directory is refused under kustomize, check and kpt fn
// eval; the Argo CD plugin command (build) and kpt fn render place a
// request by the file they read it from, whatever its annotations say, so
// it can only read its own directory.
func TestEscapesRefusedUnderEveryRenderer(t *testing.T) {
	kustomize, kpt := testenv.Tool(t, "kustomize"), testenv.Tool(t, "kpt")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	testenv.Tool(t, "clusterpair-fn-full")
	secrets := exampleSecrets(t, testenv.Path("examples", "kustomize"))
	for _, tc := range escapes {
		t.Run(tc.name, func(t *testing.T) {
			repo, teamA := escapeRepo(t, tc.annotations)
			env := demoKeyEnv()
			assertRefused(t, "kustomize build", runTool(t, repo, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "team-a"), tc.annotation, secrets)
			assertRefused(t, "clusterpair-fn build", runTool(t, teamA, env, fnBin, "build", "."), "", secrets)
			assertRefused(t, "clusterpair-fn check", runTool(t, repo, env, fnBin, "check", "team-a"), tc.annotation, secrets)
			evalArgs := []string{"fn", "eval", "team-a", "--exec", fnBin + " --root team-a", "--fn-config", "team-a/clusterpair.yaml", "-o", "unwrap"}
			want := tc.annotation
			if want != "internal.config.kubernetes.io/package-path" {
				want = "" // kpt eval replaces the path annotations: the files are simply not in team-a
			}
			assertRefused(t, "kpt fn eval", runTool(t, repo, env, kpt, evalArgs...), want, secrets)
			assertRefused(t, "kpt fn render", runTool(t, repo, env, kpt, "fn", "render", "team-a", "--allow-exec", "-o", "unwrap"), "", secrets)
		})
	}
}
