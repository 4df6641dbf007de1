package check

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// demoRecipient is the age recipient of the demo key.
func demoRecipient(t *testing.T) string { return testenv.Recipient(t, testenv.DemoKeyFile()) }

// apiServer is a TLS server on loopback that answers GET /version for one
// bearer token, as a kube-apiserver does, with a certificate of its own CA.
type apiServer struct {
	url   string
	ca    *testpki.CA
	token string
}

func startAPIServer(t *testing.T) *apiServer {
	t.Helper()
	ca := testpki.NewCA(t, "check-test-ca")
	s := &apiServer{ca: ca, token: "api-token-" + strings.Repeat("7", 24)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.token {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`))
			return
		}
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.2-check-test","platform":"linux/amd64"}`))
	}))
	srv.TLS = newTLSConfig(t, ca)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the wrong-CA case's handshake errors
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// pxListener accepts TCP connections on loopback, as a Portworx API
// endpoint would, and records whether anything was sent to it.
type pxListener struct {
	addr     *net.TCPAddr
	received chan []byte
}

func startPortworx(t *testing.T) *pxListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pxListener{addr: l.Addr().(*net.TCPAddr), received: make(chan []byte, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); _ = l.Close() })
	go func() {
		for ctx.Err() == nil {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 512)
			n, _ := c.Read(buf) // returns when the client closes
			p.received <- buf[:n]
			_ = c.Close()
		}
	}()
	return p
}

// deadPort returns a loopback port nobody listens on.
func deadPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

// pairSpec describes a pair directory for a test.
type pairSpec struct {
	name       string
	server     string
	caPEM      []byte
	token      string // the kubeconfig user's bearer token
	pxIP       string // "" for sync-dr
	pxPort     int
	pxToken    string
	extraSpec  string // appended under spec:
	skipSecret bool   // do not write the encrypted files
	// exec and authProvider replace the user's token when set.
	exec         *clientcmdapi.ExecConfig
	authProvider *clientcmdapi.AuthProviderConfig
}

// writePair writes a pair directory: the request and the two files,
// encrypted to the demo key.
func writePair(t *testing.T, dir string, p pairSpec) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["dst"] = &clientcmdapi.Cluster{Server: p.server, CertificateAuthorityData: p.caPEM}
	cfg.AuthInfos["stork"] = &clientcmdapi.AuthInfo{Token: p.token, Exec: p.exec, AuthProvider: p.authProvider}
	cfg.Contexts["dst"] = &clientcmdapi.Context{Cluster: "dst", AuthInfo: "stork"}
	cfg.CurrentContext = "dst"
	kc, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	request := "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: " + p.name + "\n  namespace: app\nspec:\n"
	if p.pxIP == "" {
		request += "  mode: sync-dr\n  destination:\n    kubeconfig:\n      file: destination-kubeconfig.yaml\n"
	} else {
		request += "  mode: async-dr\n  destination:\n    kubeconfig:\n      file: destination-kubeconfig.yaml\n" +
			"  storage:\n    ip: " + p.pxIP + "\n    port: " + strconv.Itoa(p.pxPort) + "\n    token:\n      file: px-token.enc\n"
	}
	request += p.extraSpec
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("clusterpair.yaml", []byte(request))
	if p.skipSecret {
		return dir
	}
	enc := secrets.FileEncryptOptions{Age: []string{demoRecipient(t)}}
	k, err := testsops.NewFixtureEncryptor().EncryptFile(kc, filepath.Join(dir, "destination-kubeconfig.yaml"), enc)
	if err != nil {
		t.Fatal(err)
	}
	write("destination-kubeconfig.yaml", k.Data)
	if p.pxIP != "" {
		tok, err := testsops.NewFixtureEncryptor().EncryptFile([]byte(p.pxToken+"\n"), filepath.Join(dir, "px-token.enc"), enc)
		if err != nil {
			t.Fatal(err)
		}
		write("px-token.enc", tok.Data)
	}
	return dir
}

// newTLSConfig serves a certificate for 127.0.0.1 signed by ca.
func newTLSConfig(t *testing.T, ca *testpki.CA) *tls.Config {
	t.Helper()
	kp := ca.Issue(t, testpki.Spec{CommonName: "kube-apiserver", Server: true})
	return &tls.Config{Certificates: []tls.Certificate{kp.TLS(t)}, MinVersion: tls.VersionTLS12}
}
