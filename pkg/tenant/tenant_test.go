package tenant_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/tenant"
)

func writeMap(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	testenv.CopyFile(t, testenv.DemoKeyFile(), filepath.Join(dir, "a.agekey"))
	p := filepath.Join(dir, "tenants.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const header = "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: TenantMap\n"

func TestLoadAndTenant(t *testing.T) {
	p := writeMap(t, header+"tenants:\n  - name: team-a\n    ageKeyFile: a.agekey\n    allowKeyEndpoints: [\"hc_vault=https://vault.a.example:8200\"]\n    limits: {maxRequests: 5}\n  - name: team-b\n    gnupgHome: /keys/b/gnupg\n")
	m, err := tenant.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Tenant("team-a", secrets.Limits{MaxRequests: 100, MaxReadBytes: 7})
	if err != nil {
		t.Fatal(err)
	}
	if a.Keys.Tenant != "team-a" || !strings.Contains(a.Keys.AgeIdentities, "AGE-SECRET-KEY-") || a.Keys.GnuPGHome != "" {
		t.Errorf("keys %q/%q", a.Keys.Tenant, a.Keys.GnuPGHome)
	}
	if a.Limits != (secrets.Limits{MaxRequests: 5, MaxReadBytes: 7}) {
		t.Errorf("limits %+v: the tenant's override the base, the rest stay", a.Limits)
	}
	if a.Policy.Check("x", nil) != nil {
		t.Error("policy")
	}
	// Identity defaults.
	if _, err := tenant.Load(writeMap(t, "tenants:\n  - name: team-a\n    ageKeyFile: a.agekey\n")); err != nil {
		t.Errorf("a map without apiVersion and kind: %v", err)
	}
}

func TestLoadRefuses(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"wrong kind", "apiVersion: v1\nkind: ConfigMap\ntenants: []\n", "want fn.clusterpair.dev/v1alpha1 TenantMap"},
		{"no tenants", header + "tenants: []\n", "lists no tenant"},
		{"unknown field", header + "tenants:\n  - name: a\n    ageKey: x\n", "unknown field"},
		{"bad name", header + "tenants:\n  - name: Team_A\n    ageKeyFile: a.agekey\n", `tenants[0].name "Team_A"`},
		{"twice", header + "tenants:\n  - name: a\n    ageKeyFile: a.agekey\n  - name: a\n    ageKeyFile: a.agekey\n", `tenant "a" is listed twice`},
		{"no key", header + "tenants:\n  - name: a\n", "give it a key"},
		{"bad allowlist", header + "tenants:\n  - name: a\n    ageKeyFile: a.agekey\n    allowKeyEndpoints: [vault]\n", "tenants[0].allowKeyEndpoints"},
		{"negative limit", header + "tenants:\n  - name: a\n    ageKeyFile: a.agekey\n    limits: {maxRequests: -1}\n", "limits must be positive"},
		{"not YAML", "tenants: [\n", "the tenant map"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tenant.Load(writeMap(t, c.body))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := tenant.Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing map")
	}
	if _, err := tenant.Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
}

func TestTenantRefuses(t *testing.T) {
	p := writeMap(t, header+"tenants:\n  - name: team-a\n    ageKeyFile: a.agekey\n  - name: team-b\n    ageKeyFile: missing.agekey\n  - name: team-c\n    ageKeyFile: empty.agekey\n")
	if err := os.WriteFile(filepath.Join(filepath.Dir(p), "empty.agekey"), []byte("# no key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := tenant.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"team-z": `tenant "team-z" is not in the tenant map`,
		"team-b": "reading its age key file",
		"team-c": `tenant "team-c" has no key`,
	} {
		if _, err := m.Tenant(name, secrets.Limits{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}
