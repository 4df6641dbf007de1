//go:build !lean

package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
)

// destination is a stand-in for a destination cluster on loopback: an
// HTTPS server answering GET /version for one bearer token, with its CA,
// and a TCP listener for its Portworx API.
type destination struct {
	url, token string
	ca         *testpki.CA
	pxPort     int
}

func startDestination(t *testing.T) *destination {
	t.Helper()
	d := &destination{ca: testpki.NewCA(t, "destination-ca"), token: "dst-token-" + strings.Repeat("9", 24)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+d.token || r.URL.Path != "/version" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.2-cmd-test"}`))
	}))
	serving := d.ca.Issue(t, testpki.Spec{CommonName: "kube-apiserver", Server: true})
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serving.TLS(t)}, MinVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	d.url = srv.URL

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	d.pxPort = l.Addr().(*net.TCPAddr).Port
	return d
}

// kubeconfigFor writes a kubeconfig with the destination's context "live"
// (current) and an unrelated context "other", and returns its path and the
// secret values in it.
func kubeconfigFor(t *testing.T, d *destination) (string, []string) {
	t.Helper()
	other := "other-token-" + strings.Repeat("4", 24)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["live"] = &clientcmdapi.Cluster{Server: d.url, CertificateAuthorityData: d.ca.CertPEM}
	cfg.Clusters["other"] = &clientcmdapi.Cluster{Server: "https://other.example.com:6443", CertificateAuthorityData: d.ca.CertPEM}
	cfg.AuthInfos["stork"] = &clientcmdapi.AuthInfo{Token: d.token}
	cfg.AuthInfos["other"] = &clientcmdapi.AuthInfo{Token: other}
	cfg.Contexts["live"] = &clientcmdapi.Context{Cluster: "live", AuthInfo: "stork"}
	cfg.Contexts["other"] = &clientcmdapi.Context{Cluster: "other", AuthInfo: "other"}
	cfg.CurrentContext = "other"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, []string{d.token, other}
}

func demoRecipient(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(testenv.DemoKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`age1[0-9a-z]{50,}`).FindString(string(data))
}

func assertNoSecret(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s reveals a secret (%d bytes)", where, len(s))
		}
	}
}

func TestNewThenCheckLive(t *testing.T) {
	testenv.UseDemoKey(t)
	d := startDestination(t)
	kubeconfig, secrets := kubeconfigFor(t, d)
	pxToken := "px-token-" + strings.Repeat("2", 24)
	secrets = append(secrets, pxToken)
	t.Setenv("PX_TOKEN", pxToken)
	dir := filepath.Join(t.TempDir(), "pairs", "dr-live")

	out, stderr, err := execute(t, "", "new", "dr-live", "-n", "app", "--kubeconfig", kubeconfig, "--context", "live",
		"--px-endpoint", fmt.Sprintf("127.0.0.1:%d", d.pxPort), "--token-env", "PX_TOKEN", "--age", demoRecipient(t), "--dir", dir)
	if err != nil {
		t.Fatalf("new: %v\n%s%s", err, out, stderr)
	}
	for _, want := range []string{"Wrote " + dir + "/, ready to commit:", "clusterpair.yaml", "destination-kubeconfig.yaml  SOPS-encrypted to age age1",
		"px-token.enc", "kustomization.yaml", `context "live" only (cluster "live" at ` + d.url + `, user "stork": bearer token)`, "Next: clusterpair-fn check --live " + dir} {
		if !strings.Contains(out, want) {
			t.Errorf("new's output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "clusterpair-fn: warning: --kubeconfig (spec.destination.kubeconfig): ") || !strings.Contains(stderr, "loopback") {
		t.Errorf("new's stderr lacks the loopback warning:\n%s", stderr)
	}
	assertNoSecret(t, "new's output", out+stderr, secrets)

	out, stderr, err = execute(t, "", "check", "--live", dir)
	if err != nil {
		t.Fatalf("check --live: %v\n%s%s", err, out, stderr)
	}
	row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(filepath.Join(dir, "clusterpair.yaml")) + `\s+app/dr-live\s+source\s+` + regexp.QuoteMeta(d.url) +
		`\s+async-dr\s+` + regexp.QuoteMeta(fmt.Sprintf("127.0.0.1:%d", d.pxPort)) + `\s+\d{4}-\d\d-\d\d\s+1 warning\s+passed\s+passed$`)
	if !row.MatchString(out) {
		t.Errorf("check --live table:\n%s", out)
	}
	if !strings.Contains(out, "answered v1.34.2-cmd-test") || !strings.Contains(out, "accepts TCP connections (nothing was sent)") {
		t.Errorf("check --live details:\n%s", out)
	}
	assertNoSecret(t, "check's output", out+stderr, secrets)

	// The same pair pointed at a dead port fails, saying why.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	deadDir := filepath.Join(t.TempDir(), "dead")
	if _, stderr, err := execute(t, "", "new", "dr-dead", "-n", "app", "--kubeconfig", kubeconfig, "--context", "live",
		"--server", fmt.Sprintf("https://127.0.0.1:%d", dead), "--px-endpoint", fmt.Sprintf("127.0.0.1:%d", d.pxPort),
		"--token-env", "PX_TOKEN", "--age", demoRecipient(t), "--dir", deadDir); err != nil {
		t.Fatalf("new: %v\n%s", err, stderr)
	}
	out, _, err = execute(t, "", "check", "--live", deadDir)
	if err == nil || !strings.Contains(err.Error(), "check failed") {
		t.Fatalf("check --live against a dead port: %v\n%s", err, out)
	}
	if !strings.Contains(out, "connection refused (nothing listens there") || !strings.Contains(out, "FAILED") {
		t.Errorf("check --live against a dead port:\n%s", out)
	}

	// Without --live, the same pair passes: nothing offline is wrong with it.
	if out, _, err := execute(t, "", "check", deadDir); err != nil || !strings.Contains(out, "Live checks not run") {
		t.Errorf("check without --live: %v\n%s", err, out)
	}
}

func TestNewRefusesToOverwrite(t *testing.T) {
	testenv.UseDemoKey(t)
	d := startDestination(t)
	kubeconfig, _ := kubeconfigFor(t, d)
	t.Setenv("PX_TOKEN", "px-token-"+strings.Repeat("2", 24))
	dir := t.TempDir()
	args := []string{"new", "dr-live", "-n", "app", "--kubeconfig", kubeconfig, "--context", "live", "--px-endpoint", "px.example.com", "--token-env", "PX_TOKEN", "--age", demoRecipient(t), "--dir", dir}
	if _, stderr, err := execute(t, "", args...); err != nil {
		t.Fatalf("new: %v\n%s", err, stderr)
	}
	if _, _, err := execute(t, "", args...); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second new: %v", err)
	}
	if _, stderr, err := execute(t, "", append(args, "--force")...); err != nil {
		t.Errorf("new --force: %v\n%s", err, stderr)
	}
}

func TestNewArguments(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("KUBECONFIG", "")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"new"}, "exactly one argument"},
		{[]string{"new", "a", "b"}, "exactly one argument"},
		{[]string{"new", "a", "--kubeconfig", "k"}, `required flag(s) "namespace" not set`},
		{[]string{"new", "a", "-n", "app"}, "no kubeconfig: pass --kubeconfig FILE or set $KUBECONFIG"},
		{[]string{"new", "a", "-n", "app", "--kubeconfig", "k", "--mode", "dr"}, `--mode "dr"`},
	}
	for _, c := range cases {
		_, _, err := execute(t, "", c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

// TestHelpMatchesREADME keeps the walkthrough and --help in step: every
// command of the walkthrough's code blocks uses only flags its command has,
// every flag the walkthrough's text mentions exists, and the help of each
// command says what the walkthrough says it does.
func TestHelpMatchesREADME(t *testing.T) {
	data, err := os.ReadFile(testenv.Path("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "## Walkthrough: from a real kubeconfig and token to a committed pair")
	if start < 0 {
		t.Fatal("the README has no walkthrough section")
	}
	walkthrough := readme[start:]
	walkthrough = walkthrough[:strings.Index(walkthrough[1:], "\n## ")+1]
	// Process substitutions run other tools (kubectl, pxctl) with their own flags.
	text := regexp.MustCompile(`<\([^)]*\)`).ReplaceAllString(walkthrough, "")
	flagsOf := func(s string) []string {
		var out []string
		for _, m := range regexp.MustCompile("(?:^|[\\s`(])--([a-z][a-z-]+)").FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		return out
	}
	commands := map[string]*cobra.Command{}
	for _, name := range []string{"new", "check"} {
		cmd, _, err := newRootCommand().Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Fatalf("no %s command: %v", name, err)
		}
		commands[name] = cmd
	}
	runs := regexp.MustCompile(`(?m)^\s*clusterpair-fn (new|check)\b(?:[^\n]*\\\n)*[^\n]*`).FindAllStringSubmatch(text, -1)
	seen := map[string]bool{}
	for _, run := range runs {
		seen[run[1]] = true
		for _, f := range flagsOf(run[0]) {
			if commands[run[1]].Flags().Lookup(f) == nil {
				t.Errorf("the walkthrough runs clusterpair-fn %s with --%s, which it does not have", run[1], f)
			}
		}
	}
	if !seen["new"] || !seen["check"] {
		t.Errorf("the walkthrough does not run both new and check: %v", seen)
	}
	for _, f := range flagsOf(text) {
		if commands["new"].Flags().Lookup(f) == nil && commands["check"].Flags().Lookup(f) == nil {
			t.Errorf("the walkthrough mentions --%s, which neither new nor check has", f)
		}
	}
	for name, wants := range map[string][]string{
		"new":   {"clusterpair.yaml", "destination-kubeconfig.yaml", "px-token.enc", "kustomization.yaml", "--force", "9001", ".sops.yaml", "--sops-config", "$SOPS_CONFIG", "check --live", "tokenFile", "LocationOfOrigin"},
		"check": {"--live", "GET /version", "--side", "CLUSTERPAIR_SIDE", "passed", "failed", "skipped"},
	} {
		out, _, err := execute(t, "", name, "--help")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("%s --help lacks %q", name, want)
			}
			if !strings.Contains(walkthrough, want) {
				t.Errorf("the walkthrough lacks %q, which %s --help describes", want, name)
			}
		}
	}
}
