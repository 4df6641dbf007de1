//go:build !lean

package main

import (
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestCheckLiveShowsNothingTheServerSent runs the real command in a child
// process (its stdout and stderr are the process's own file descriptors, so
// client-go's logging is seen too) on two pairs: one whose destination
// answers 500 with a body, a Warning header and a header of its own, all
// holding a marker, and one whose destination redirects to a second
// loopback listener. In the table, -o json and -o junit, and on stderr,
// the marker never appears; the second listener gets no connection. On
// ec7565d the table showed the body and stderr the Warning header, and the
// redirect was followed.
func TestCheckLiveShowsNothingTheServerSent(t *testing.T) {
	testenv.UseDemoKey(t)
	ca := testpki.NewCA(t, "cmd-hostile-ca")
	cert := ca.Issue(t, testpki.Spec{CommonName: "kube-apiserver", Server: true})
	marker := "CMD-MARKER-" + strings.Repeat("5", 12)
	var secondConns atomic.Int64
	start := func(h http.HandlerFunc, conns *atomic.Int64) string {
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS(t)}, MinVersion: tls.VersionTLS12}
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		if conns != nil {
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
		}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}
	second := start(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"gitVersion":"v1.34.2"}`))
	}, &secondConns)
	failing := start(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Warning", `299 - "`+marker+`"`)
		w.Header().Set("X-Debug", marker)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("panic: " + marker))
	}, nil)
	redirecting := start(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", second+"/version?"+marker)
		w.WriteHeader(http.StatusFound)
		_, _ = w.Write([]byte(marker))
	}, nil)

	root := t.TempDir()
	for name, server := range map[string]string{"failing": failing, "redirecting": redirecting} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["dst"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca.CertPEM}
		cfg.AuthInfos["stork"] = &clientcmdapi.AuthInfo{Token: "cmd-token-" + strings.Repeat("1", 20)}
		cfg.Contexts["dst"] = &clientcmdapi.Context{Cluster: "dst", AuthInfo: "stork"}
		cfg.CurrentContext = "dst"
		kc, err := clientcmd.Write(*cfg)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := testsops.NewFixtureEncryptor().EncryptFile(kc, filepath.Join(dir, "kubeconfig.yaml"), secrets.FileEncryptOptions{Age: []string{testenv.Recipient(t, testenv.DemoKeyFile())}})
		if err != nil {
			t.Fatal(err)
		}
		request := "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: " + name + "\n  namespace: app\nspec:\n  mode: sync-dr\n  destination:\n    kubeconfig:\n      file: kubeconfig.yaml\n"
		for file, data := range map[string][]byte{"kubeconfig.yaml": enc.Data, "clusterpair.yaml": []byte(request)} {
			if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"table", "json", "junit"} {
		t.Run(format, func(t *testing.T) {
			cmd := exec.Command(exe, mainArg, "check", "--live", "-o", format, root)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err == nil {
				t.Fatalf("check --live passed:\n%s", stdout.String())
			}
			for _, want := range []string{"500 Internal Server Error", "302 Found"} {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("the report lacks %q:\n%s", want, stdout.String())
				}
			}
			for where, text := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
				if strings.Contains(text, marker) || strings.Contains(text, "panic:") {
					t.Errorf("%s shows what the server sent:\n%s", where, text)
				}
			}
			if strings.TrimSpace(stderr.String()) != "clusterpair-fn: check failed: see the report above" {
				t.Errorf("stderr: %q", stderr.String())
			}
		})
	}
	if n := secondConns.Load(); n != 0 {
		t.Errorf("the redirect's target got %d connections", n)
	}
}
