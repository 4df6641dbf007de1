package main

import (
	"strings"
	"testing"
)

// TestTenantSourcesMustAgree (security review): under kustomize and kpt fn
// render the function's command line is the repository's (a request's
// config.kubernetes.io/function "exec: {path: clusterpair-fn, args:
// [--tenant, team-b]}"; reproduced with kustomize v5.8.2: the render
// decrypted with team-b's keys although the operator set
// CLUSTERPAIR_FN_TENANT=team-a). Any two of --tenant,
// $CLUSTERPAIR_FN_TENANT and $ARGOCD_APP_PROJECT_NAME that are set and
// disagree are refused, naming both sources; none wins silently. (Such a
// repository can also name another program: SECURITY.md, Tenants.)
func TestTenantSourcesMustAgree(t *testing.T) {
	cases := []struct {
		name, flag, env, project string
		want                     string // the tenant, or the error's text after "error: "
	}{
		{"flag against the operator's variable", "team-b", "team-a", "", `error: --tenant names tenant "team-b" but $CLUSTERPAIR_FN_TENANT names tenant "team-a"`},
		{"flag against Argo CD's project", "team-b", "", "team-a", `error: --tenant names tenant "team-b" but Argo CD renders for project "team-a" ($ARGOCD_APP_PROJECT_NAME)`},
		{"variable against Argo CD's project", "", "team-a", "team-b", `error: $CLUSTERPAIR_FN_TENANT names tenant "team-a" but Argo CD renders for project "team-b" ($ARGOCD_APP_PROJECT_NAME)`},
		{"flag agrees, project disagrees", "team-a", "team-a", "team-b", `error: --tenant names tenant "team-a" but Argo CD renders for project "team-b"`},
		{"all three agree", "team-a", "team-a", "team-a", "team-a"},
		{"flag and variable agree", "team-a", "team-a", "", "team-a"},
		{"the flag alone", "team-a", "", "", "team-a"},
		{"the variable alone", "", "team-a", "", "team-a"},
		{"the project alone", "", "", "team-a", "team-a"},
		{"none", "", "", "", "error: a tenant map is set but not the tenant this run is for"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := keySettings{tenant: c.flag}
			env := map[string]string{tenantEnv: c.env, argoProjectEnv: c.project}
			name, err := k.tenantName(func(n string) string { return env[n] })
			got := name
			if err != nil {
				got = "error: " + err.Error()
			}
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("tenantName(--tenant %q, $%s %q, $%s %q) = %q, want %q", c.flag, tenantEnv, c.env, argoProjectEnv, c.project, got, c.want)
			}
		})
	}
}
