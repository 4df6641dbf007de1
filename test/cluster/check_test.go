//go:build cluster

package cluster

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestCheckLive authors pairs with `clusterpair-fn new` from a kubeconfig of
// a real kube-apiserver and runs `clusterpair-fn check --live` on them, as an
// operator does before committing: it must pass against the live server and
// fail, saying why, against a dead port and a wrong CA. Everything runs as
// the built binary, with a throwaway age key.
func TestCheckLive(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("KUBECONFIG", "")
	kas := binary(t, "KUBE_APISERVER", "kube-apiserver", "run `make e2e` (hack/build-kube-apiserver.sh builds it into .cache/)")
	etcd := binary(t, "ETCD", "etcd", "run `make e2e` (hack/ensure-etcd.sh installs Debian's etcd-server)")
	fn := testenv.Tool(t, "clusterpair-fn")

	dst := newAPIServer(t, "check-destination", kas, etcd)
	dst.waitReady(t)
	key := newAgeKey(t)
	user := dst.ca.issue(t, certSpec{cn: "check-live"})
	impostor := newCA(t, "check-impostor-ca")
	deadPort := freePort(t)
	pxToken := "px-check-live-" + strings.Repeat("6", 24)

	// A Portworx API stand-in: it accepts TCP connections and records
	// whether anything is ever sent to it.
	px, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })
	received := make(chan int, 64)
	go func() {
		for {
			c, err := px.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 256)
			n, _ := c.Read(buf)
			received <- n
			_ = c.Close()
		}
	}()
	pxEndpoint := px.Addr().String()

	certUser := clientcmdapi.AuthInfo{ClientCertificateData: user.CertPEM, ClientKeyData: user.KeyPEM}
	cases := []struct {
		name   string
		caPEM  []byte
		server string // --server; "" keeps the kubeconfig's
		ok     bool
		api    string   // the table's API SERVER column
		want   []string // in check's output
	}{
		{name: "reachable", caPEM: dst.ca.certPEM, ok: true, api: "passed",
			want: []string{"answered " + dst.version, pxEndpoint + " accepts TCP connections (nothing was sent)"}},
		{name: "wrong-ca", caPEM: impostor.certPEM, api: "FAILED",
			want: []string{"certificate signed by unknown authority (the server's certificate is not signed by the kubeconfig's certificate-authority-data)"}},
		{name: "dead-port", caPEM: dst.ca.certPEM, server: fmt.Sprintf("https://127.0.0.1:%d", deadPort), api: "FAILED",
			want: []string{"connection refused (nothing listens there, as seen from this machine)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outcome := probeOutcome{name: "check --live " + c.name, expected: "check fails"}
			if c.ok {
				outcome.expected = "check passes"
			}
			defer func() { summary.addProbe(outcome) }()

			kc := kubeconfig{server: dst.url, caPEM: c.caPEM, userName: "check-live", user: certUser}.bytes(t)
			kcPath := filepath.Join(t.TempDir(), "config")
			if err := os.WriteFile(kcPath, kc, 0o600); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "pairs", c.name)
			args := []string{"new", c.name, "-n", pairNamespace, "--kubeconfig", kcPath,
				"--px-endpoint", pxEndpoint, "--token-env", "PX_TOKEN", "--age", key.recipient, "--dir", dir}
			if c.server != "" {
				args = append(args, "--server", c.server)
			}
			r := runFn(t, fn, []string{"PX_TOKEN=" + pxToken}, args...)
			if r.err != nil {
				outcome.got = "new failed"
				t.Fatalf("clusterpair-fn new: %v\n%s%s", r.err, r.stdout, r.stderr)
			}
			for _, s := range []string{pxToken, string(user.KeyPEM)} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("new printed a secret")
				}
			}

			r = runFn(t, fn, []string{"SOPS_AGE_KEY=" + key.identity}, "check", "--live", dir)
			t.Logf("check --live:\n%s%s", r.stdout, r.stderr)
			outcome.got = "check passes"
			if r.err != nil {
				outcome.got = "check fails"
			}
			if (r.err == nil) != c.ok {
				t.Fatalf("check --live: %v, want success %v", r.err, c.ok)
			}
			row := regexp.MustCompile(`(?m)^\S+/` + c.name + `/clusterpair\.yaml\s+app/` + c.name + `\s.*\s` + c.api + `\s+passed$`)
			if !row.MatchString(r.stdout) {
				outcome.got += fmt.Sprintf(" without the row API SERVER %s, PORTWORX passed", c.api)
				t.Errorf("check --live has no row with API SERVER %s and PORTWORX passed", c.api)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stdout, w) {
					outcome.got += " without " + w
					t.Errorf("check --live output lacks %q", w)
				}
			}
			if !c.ok && !strings.Contains(r.stderr, "check failed") {
				t.Errorf("check --live stderr: %q", r.stderr)
			}
			for _, s := range []string{pxToken, key.identity, string(user.KeyPEM)} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("check printed a secret")
				}
			}
			if !t.Failed() {
				outcome.ok = true
			}
		})
	}
	for {
		select {
		case n := <-received:
			if n > 0 {
				t.Errorf("the Portworx endpoint received %d bytes", n)
			}
			continue
		default:
		}
		break
	}
}

// runFn runs the clusterpair-fn binary with an isolated HOME, no host sops
// keys and env.
func runFn(t *testing.T, fn string, env []string, args ...string) toolResult {
	t.Helper()
	cmd := exec.Command(fn, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(testenv.IsolatedEnv(t.TempDir()), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return toolResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}
