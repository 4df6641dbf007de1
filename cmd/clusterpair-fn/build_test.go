package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/build"
)

// writeFiles writes files (name -> content) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// examplePair is a copy of examples/kustomize, with the demo key the only
// key of the environment.
func examplePair(t *testing.T) string {
	t.Helper()
	testenv.UseDemoKey(t)
	dir := filepath.Join(t.TempDir(), "pairs", "dr-west")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), dir)
	return dir
}

func TestBuildPrintsTheRender(t *testing.T) {
	dir := examplePair(t)
	out, stderr, err := execute(t, "", "build", "--refuse-encrypted", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.HasPrefix(out, "apiVersion: stork.libopenstorage.org/v1alpha1\nkind: ClusterPair\n") || stderr != "" {
		t.Errorf("stdout = %q, stderr = %q", out, stderr)
	}
	t.Chdir(dir)
	again, _, err := execute(t, "", "build")
	if err != nil || again != out {
		t.Errorf("build without DIR renders the working directory: err %v, same output %v", err, again == out)
	}
}

func TestBuildFailsInsteadOfPrintingNothing(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  error
	}{
		{"no generator", map[string]string{"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"}, build.ErrEmptyRender},
		{"a request that fails", map[string]string{"clusterpair.yaml": "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: dr-west\nspec: {}\n"}, errors.New("")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := examplePair(t)
			writeFiles(t, dir, c.files)
			out, stderr, err := execute(t, "", "build", dir)
			if err == nil {
				t.Fatal("no error")
			}
			if c.want.Error() != "" && !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
			if out != "" {
				t.Errorf("a failed build printed %q (stderr %q)", out, stderr)
			}
		})
	}
}

func TestBuildArguments(t *testing.T) {
	if _, _, err := execute(t, "", "build", "a", "b"); err == nil {
		t.Error("two directories must be an error")
	}
	if _, _, err := execute(t, "", "build", "--refuse-encrypted", "--require-encrypted", "."); err == nil {
		t.Error("--refuse-encrypted with --require-encrypted must be an error")
	}
	out, _, err := execute(t, "", "build", "--help")
	if err != nil || !strings.Contains(out, "runs no other program") || !strings.Contains(out, "--tenants") || strings.Contains(out, "--kustomize") {
		t.Errorf("build --help = %q, %v", out, err)
	}
}

// TestBuildRunsNothingTheRepositoryNames: a kustomization naming an exec
// function, and a generator file that is one, are refused; nothing on PATH
// (kustomize, helm, git, the script itself) is ever started.
func TestBuildRunsNothingTheRepositoryNames(t *testing.T) {
	dir := examplePair(t)
	bin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	for _, name := range []string{"kustomize", "helm", "git", "pwn.sh"} {
		writeFiles(t, bin, map[string]string{name: "#!/bin/sh\necho " + name + " >> '" + marker + "'\n"})
		if err := os.Chmod(filepath.Join(bin, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	fnAnnotation := "  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./pwn.sh\n"
	writeFiles(t, dir, map[string]string{
		"pwn.sh":   "#!/bin/sh\necho pwn >> '" + marker + "'\n",
		"gen.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pwn\n" + fnAnnotation,
	})
	for name, k := range map[string]string{
		"exec generator":  "generators:\n  - gen.yaml\n",
		"transformer":     "generators:\n  - clusterpair.yaml\ntransformers:\n  - gen.yaml\n",
		"helm":            "generators:\n  - clusterpair.yaml\nhelmCharts:\n  - name: x\n    repo: https://127.0.0.1:1\n",
		"git remote base": "generators:\n  - clusterpair.yaml\nresources:\n  - git@github.com:evil/repo.git\n",
	} {
		t.Run(name, func(t *testing.T) {
			writeFiles(t, dir, map[string]string{"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + k})
			out, _, err := execute(t, "", "build", dir)
			if !errors.Is(err, build.ErrUnsupported) || out != "" {
				t.Fatalf("err = %v, out = %q", err, out)
			}
			if ran, err := os.ReadFile(marker); err == nil {
				t.Fatalf("started: %s", ran)
			}
		})
	}
}

// TestBuildTenants: with a tenant map, a run decrypts with its tenant's
// keys only, wherever the files sit; the tenant comes from the operator
// (--tenant, $CLUSTERPAIR_FN_TENANT) or Argo CD's project, never from
// an Application's plugin env.
func TestBuildTenants(t *testing.T) {
	dir := examplePair(t) // encrypted to the demo key, which the environment also holds
	keys := t.TempDir()
	testenv.CopyFile(t, testenv.DemoKeyFile(), filepath.Join(keys, "a.agekey"))
	testenv.CopyFile(t, testenv.OtherKeyFile(), filepath.Join(keys, "b.agekey"))
	tenants := filepath.Join(keys, "tenants.yaml")
	writeFiles(t, keys, map[string]string{"tenants.yaml": "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: TenantMap\ntenants:\n" +
		"  - name: team-a\n    ageKeyFile: a.agekey\n" +
		"  - name: team-b\n    ageKeyFile: b.agekey\n    limits: {maxRequests: 1}\n"})
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string // "" renders
	}{
		{"tenant a by flag", nil, []string{"--tenants", tenants, "--tenant", "team-a"}, ""},
		{"tenant a by environment", map[string]string{tenantsEnv: tenants, tenantEnv: "team-a"}, nil, ""},
		{"tenant a as the Argo CD project", map[string]string{tenantsEnv: tenants, argoProjectEnv: "team-a"}, nil, ""},
		{"tenant b cannot open a's files, although the environment could", map[string]string{tenantsEnv: tenants, argoProjectEnv: "team-b"}, nil, `none of tenant "team-b"'s keys opens it`},
		{"an Application's plugin env cannot choose the tenant", map[string]string{tenantsEnv: tenants, argoProjectEnv: "team-b", "ARGOCD_ENV_" + tenantEnv: "team-a"}, nil, `tenant "team-b"`},
		{"a tenant not in the map", map[string]string{tenantsEnv: tenants, argoProjectEnv: "team-z"}, nil, `tenant "team-z" is not in the tenant map`},
		{"no tenant", map[string]string{tenantsEnv: tenants}, nil, "not the tenant this run is for"},
		{"operator and Argo CD disagree", map[string]string{tenantsEnv: tenants, tenantEnv: "team-a", argoProjectEnv: "team-b"}, nil, `names tenant "team-a" but Argo CD renders for project "team-b"`},
		{"a shared allowlist beside the map", map[string]string{tenantsEnv: tenants, argoProjectEnv: "team-a", "CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS": "hc_vault=https://v:8200"}, nil, "cannot be combined with a tenant map"},
		{"--tenant without a map", nil, []string{"--tenant", "team-a"}, "needs a tenant map"},
		{"a map that does not parse", map[string]string{tenantsEnv: filepath.Join(keys, "a.agekey"), argoProjectEnv: "team-a"}, nil, "the tenant map"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range []string{tenantsEnv, tenantEnv, argoProjectEnv} {
				t.Setenv(name, "")
			}
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			out, stderr, err := execute(t, "", append(append([]string{"build"}, c.args...), dir)...)
			if c.want == "" {
				if err != nil || !strings.Contains(out, "kind: ClusterPair") {
					t.Fatalf("err = %v\n%s", err, stderr)
				}
				return
			}
			if err == nil || out != "" {
				t.Fatalf("rendered (err %v)", err)
			}
			secretstest.AssertContains(t, err.Error()+stderr, c.want)
			secretstest.AssertNoSecret(t, err.Error()+stderr, secretstest.Canaries(t)...)
		})
	}
}
