package check

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
)

// The test binary doubles as the probe child and as a fake exec plugin,
// chosen by its first argument (before the testing flags are parsed).
const (
	probeArg      = "__check-test-probe"
	fakePluginArg = "__check-test-exec-plugin"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case probeArg:
			if err := ServeProbe(os.Stdin, os.Stdout); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			os.Exit(0)
		case fakePluginArg:
			os.Exit(fakeExecPlugin(os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}

// fakeExecPlugin is an exec credential plugin: it records that it ran and
// its whole environment in the marker file args[0], then returns the bearer
// token args[1] as client-go's ExecCredential.
func fakeExecPlugin(args []string) int {
	if len(args) != 2 {
		return 3
	}
	if err := os.WriteFile(args[0], []byte(strings.Join(os.Environ(), "\n")), 0o600); err != nil {
		return 4
	}
	cred := map[string]any{
		"apiVersion": "client.authentication.k8s.io/v1",
		"kind":       "ExecCredential",
		"status":     map[string]any{"token": args[1]},
	}
	if err := json.NewEncoder(os.Stdout).Encode(cred); err != nil {
		return 5
	}
	return 0
}

func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// operatorSecrets are variables a CI job or repo-server holds: none may
// reach a plugin. SOPS_AGE_KEY_FILE is set by UseDemoKey.
var operatorSecrets = map[string]string{
	"SOPS_AGE_RECIPIENTS":            "age1operator",
	"VAULT_TOKEN":                    "hvs.operator-vault-token",
	"VAULT_ADDR":                     "https://vault.operator.example:8200",
	"AWS_SECRET_ACCESS_KEY":          "operator-aws-secret",
	"AZURE_CLIENT_SECRET":            "operator-azure-secret",
	"ARM_CLIENT_SECRET":              "operator-arm-secret",
	"GOOGLE_APPLICATION_CREDENTIALS": "/operator/gcp.json",
	"CLOUDSDK_AUTH_ACCESS_TOKEN":     "operator-gcloud-token",
	"GCE_METADATA_HOST":              "169.254.169.254",
	"ARGOCD_APP_NAME":                "operator-app",
	"ARGOCD_ENV_SECRET":              "operator-argocd-env",
	"KUBECONFIG":                     "/operator/kubeconfig",
	"HTTPS_PROXY":                    "http://operator:proxy-password@proxy:3128",
}

func TestLiveExecPlugin(t *testing.T) {
	testenv.UseDemoKey(t)
	for name, value := range operatorSecrets {
		t.Setenv(name, value)
	}
	api := startAPIServer(t)
	px := startPortworx(t)
	exe := testBinary(t)

	cases := []struct {
		name      string
		allowExec bool
		wantRan   bool
		want      LiveStatus
		detail    string
	}{
		{name: "without --allow-exec the plugin does not run", want: LiveSkipped,
			detail: `not run: building a client from spec.config would run repository code on this machine (user "stork" authenticates with the exec plugin`},
		{name: "with --allow-exec the plugin runs with a minimal environment", allowExec: true, wantRan: true, want: LivePassed,
			detail: "answered v1.34.2-check-test"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "plugin-ran")
			dir := writePair(t, filepath.Join(t.TempDir(), fmt.Sprintf("exec-%d", i)), pairSpec{
				name: fmt.Sprintf("exec-%d", i), server: api.url, caPEM: api.ca.CertPEM, pxIP: "127.0.0.1", pxPort: px.addr.Port, pxToken: "px-exec-token-" + strings.Repeat("4", 24),
				exec: &clientcmdapi.ExecConfig{
					Command: exe, Args: []string{fakePluginArg, marker, api.token},
					Env:        []clientcmdapi.ExecEnvVar{{Name: "PLUGIN_SETTING", Value: "from-the-kubeconfig"}},
					APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
				},
			})
			opts := Options{Paths: []string{dir}, Live: true, AllowExec: c.allowExec}
			if c.allowExec {
				opts.ProbeCommand = []string{exe, probeArg}
			}
			r, out := run(t, opts)
			if len(r.Pairs) != 1 || len(r.Pairs[0].Live) != 2 {
				t.Fatalf("report:\n%s", out)
			}
			a := r.Pairs[0].Live[0]
			if a.Status != c.want || !strings.Contains(a.Detail, c.detail) {
				t.Errorf("API server check %+v, want %s with %q\n%s", a, c.want, c.detail, out)
			}
			if x := r.Pairs[0].Live[1]; x.Status != LivePassed {
				t.Errorf("the Portworx check does not depend on the plugin: %+v", x)
			}
			if !c.allowExec && !strings.Contains(out, "1 API server check skipped because the kubeconfig would run an exec plugin or auth-provider") {
				t.Errorf("the summary does not say why:\n%s", out)
			}
			env, err := os.ReadFile(marker)
			if ran := err == nil; ran != c.wantRan {
				t.Fatalf("the exec plugin ran: %v, want %v (%v)", ran, c.wantRan, err)
			}
			for _, v := range append([]string{api.token}, values(operatorSecrets)...) {
				if strings.Contains(out, v) {
					t.Errorf("the report reveals %q:\n%s", v, out)
				}
			}
			if !c.wantRan {
				return
			}
			got := map[string]string{}
			for _, kv := range strings.Split(string(env), "\n") {
				name, value, _ := strings.Cut(kv, "=")
				got[name] = value
			}
			for name := range got {
				switch {
				case name == "KUBERNETES_EXEC_INFO" || name == "PLUGIN_SETTING": // client-go's own, the kubeconfig's
				case name == "":
				default:
					if !isPluginEnvName(name) {
						t.Errorf("the plugin saw %s", name)
					}
				}
			}
			if got["PLUGIN_SETTING"] != "from-the-kubeconfig" || got["KUBERNETES_EXEC_INFO"] == "" {
				t.Errorf("the plugin lost the kubeconfig's exec env or client-go's exec info: %v", got)
			}
			if got["HOME"] != os.Getenv("HOME") || got["PATH"] != os.Getenv("PATH") {
				t.Errorf("the plugin has no PATH or HOME: %v", got)
			}
			for _, v := range append([]string{os.Getenv("SOPS_AGE_KEY_FILE")}, values(operatorSecrets)...) {
				if strings.Contains(string(env), v) {
					t.Errorf("the plugin's environment holds the operator's %q", v)
				}
			}
		})
	}
}

func TestLiveAuthProvider(t *testing.T) {
	testenv.UseDemoKey(t)
	api := startAPIServer(t)
	exe := testBinary(t)
	cases := []struct {
		allowExec bool
		want      LiveStatus
		detail    string
	}{
		{want: LiveSkipped, detail: `(user "stork" uses the auth-provider "oidc"); pass --allow-exec`},
		// This build registers no auth-provider: the child reports client-go's refusal.
		{allowExec: true, want: LiveFailed, detail: `no Auth Provider found for name "oidc"`},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("allow-exec=%v", c.allowExec), func(t *testing.T) {
			dir := writePair(t, filepath.Join(t.TempDir(), "ap"), pairSpec{
				name: fmt.Sprintf("ap-%d", i), server: api.url, caPEM: api.ca.CertPEM,
				authProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"idp-issuer-url": "https://127.0.0.1:1/?token=issuer-secret", "client-id": "x"}},
			})
			opts := Options{Paths: []string{dir}, Live: true, AllowExec: c.allowExec}
			if c.allowExec {
				opts.ProbeCommand = []string{exe, probeArg}
			}
			r, out := run(t, opts)
			a := r.Pairs[0].Live[0]
			if a.Status != c.want || !strings.Contains(a.Detail, c.detail) {
				t.Errorf("API server check %+v, want %s with %q\n%s", a, c.want, c.detail, out)
			}
			if strings.Contains(out, "issuer-secret") {
				t.Errorf("the report reveals the auth-provider's config:\n%s", out)
			}
		})
	}
}

func TestAllowExecNeedsAProbeCommand(t *testing.T) {
	testenv.UseDemoKey(t)
	dir := writePair(t, filepath.Join(t.TempDir(), "p"), pairSpec{name: "p", server: "https://127.0.0.1:1", token: "t"})
	_, err := Run(context.Background(), Options{Paths: []string{dir}, Live: true, AllowExec: true, Decryptor: testsops.NewDecryptor()})
	if err == nil || !strings.Contains(err.Error(), "AllowExec needs a ProbeCommand") {
		t.Fatalf("Run: %v", err)
	}
}

func TestPluginEnv(t *testing.T) {
	in := []string{"PATH=/bin", "HOME=/h", "LANG=C.UTF-8", "SOPS_AGE_KEY=AGE-SECRET-KEY-1X", "VAULT_TOKEN=v", "AWS_PROFILE=p",
		"KUBECONFIG=/k", "ARGOCD_APP_NAME=a", "PATHX=1", "garbage", "TZ=UTC", "CLOUDSDK_CONFIG=/c", "GCE_METADATA_HOST=m", "ARM_TENANT_ID=t"}
	want := []string{"PATH=/bin", "HOME=/h", "LANG=C.UTF-8", "TZ=UTC"}
	if got := PluginEnv(in); !reflect.DeepEqual(got, want) {
		t.Errorf("PluginEnv = %q, want %q", got, want)
	}
}

func TestProbeChildFailures(t *testing.T) {
	cases := []struct {
		name    string
		command []string
		want    string
	}{
		{"the child cannot start", []string{filepath.Join(t.TempDir(), "missing")}, "the isolated probe process failed"},
		{"the child says nothing", []string{"/bin/true"}, "the isolated probe process gave no result"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := probeInChild(context.Background(), c.command, nil, nil, DefaultTimeout)
			if r.Status != LiveFailed || !strings.Contains(r.Detail, c.want) {
				t.Errorf("probeInChild = %+v, want failed with %q", r, c.want)
			}
		})
	}
	if err := ServeProbe(strings.NewReader("{}"), &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "no config") {
		t.Errorf("ServeProbe without a config: %v", err)
	}
}

func isPluginEnvName(name string) bool {
	for _, n := range pluginEnvNames {
		if n == name {
			return true
		}
	}
	return false
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
