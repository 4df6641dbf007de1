package author

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// fixture is a kubeconfig with several contexts written to a directory of
// its own, with every secret value in it, for leak assertions.
type fixture struct {
	dir        string // where the kubeconfig and its certificate files are
	kubeconfig string
	ca         *testpki.CA
	west       testpki.KeyPair // the "west" user's client certificate (inline)
	north      testpki.KeyPair // the "north" user's client certificate (files)
	eastToken  string
	fileToken  string
	pxToken    string
	secrets    []string
}

// newFixture writes a kubeconfig with the contexts
//
//	west   client certificate data, the cluster has an extension (current)
//	east   bearer token
//	north  certificate-authority, client-certificate and client-key as
//	       relative file paths, next to the kubeconfig
//	tokens tokenFile (relative)
//	exec   an exec plugin
//	insecure insecure-skip-tls-verify with a token
//	expired an expired client certificate
//	loop   a loopback server
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), ca: testpki.NewCA(t, "fixture-ca")}
	f.west = f.ca.Issue(t, testpki.Spec{CommonName: "west-admin"})
	f.north = f.ca.Issue(t, testpki.Spec{CommonName: "north-admin"})
	expired := f.ca.Issue(t, testpki.Spec{CommonName: "old", NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	f.eastToken = "east-token-" + randomHex(t)
	f.fileToken = "file-token-" + randomHex(t)
	f.pxToken = "px-token-" + randomHex(t)

	write := func(name string, data []byte) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(f.dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("certs/ca.crt", f.ca.CertPEM)
	write("certs/north.crt", f.north.CertPEM)
	write("certs/north.key", f.north.KeyPEM)
	write("tokens/token", []byte(f.fileToken+"\n"))

	cfg := clientcmdapi.NewConfig()
	cluster := func(name, server string) *clientcmdapi.Cluster {
		c := &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: f.ca.CertPEM}
		cfg.Clusters[name] = c
		return c
	}
	west := cluster("west", "https://api.west.example.com:6443")
	west.Extensions = map[string]runtime.Object{"cluster_info": &runtime.Unknown{Raw: []byte(`{"provider":"minikube.sigs.k8s.io"}`), ContentType: runtime.ContentTypeJSON}}
	cluster("east", "https://api.east.example.com:6443")
	cfg.Clusters["north"] = &clientcmdapi.Cluster{Server: "https://api.north.example.com:6443", CertificateAuthority: "certs/ca.crt"}
	cfg.Clusters["insecure"] = &clientcmdapi.Cluster{Server: "https://api.insecure.example.com:6443", InsecureSkipTLSVerify: true}
	cluster("loop", "https://127.0.0.1:6443")

	cfg.AuthInfos["west-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: f.west.CertPEM, ClientKeyData: f.west.KeyPEM}
	cfg.AuthInfos["east-admin"] = &clientcmdapi.AuthInfo{Token: f.eastToken}
	cfg.AuthInfos["north-admin"] = &clientcmdapi.AuthInfo{ClientCertificate: "certs/north.crt", ClientKey: "certs/north.key"}
	cfg.AuthInfos["token-file"] = &clientcmdapi.AuthInfo{TokenFile: "tokens/token"}
	cfg.AuthInfos["eks"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1beta1", Command: "aws", Args: []string{"eks", "get-token"}, InteractiveMode: clientcmdapi.NeverExecInteractiveMode}}
	cfg.AuthInfos["old"] = &clientcmdapi.AuthInfo{ClientCertificateData: expired.CertPEM, ClientKeyData: expired.KeyPEM}

	ctx := func(name, cluster, user string) {
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: user}
	}
	ctx("west", "west", "west-admin")
	ctx("east", "east", "east-admin")
	ctx("north", "north", "north-admin")
	ctx("tokens", "east", "token-file")
	ctx("exec", "east", "eks")
	ctx("insecure", "insecure", "east-admin")
	ctx("expired", "west", "old")
	ctx("loop", "loop", "east-admin")
	cfg.CurrentContext = "west"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	write("config", data)
	f.kubeconfig = filepath.Join(f.dir, "config")
	write("px-token", []byte(f.pxToken+"\n"))

	for _, kp := range []testpki.KeyPair{f.west, f.north, expired} {
		f.secrets = append(f.secrets, string(kp.KeyPEM), base64.StdEncoding.EncodeToString(kp.KeyPEM), pemBody(kp.KeyPEM))
	}
	f.secrets = append(f.secrets, f.eastToken, f.fileToken, f.pxToken)
	return f
}

// pemBody is the base64 body of a PEM block on one line.
func pemBody(p []byte) string {
	lines := strings.Split(strings.TrimSpace(string(p)), "\n")
	return strings.Join(lines[1:len(lines)-1], "")
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// demoRecipient is the age recipient of the demo key.
func demoRecipient(t *testing.T) string {
	t.Helper()
	return recipientOf(t, testenv.DemoKeyFile())
}

// recipientOf returns the age recipient of an identity file.
func recipientOf(t *testing.T, keyFile string) string {
	t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`age1[0-9a-z]{50,}`).FindString(string(data))
}

// decrypt decrypts an encrypted file of the pair with the sops library and
// the demo key.
func decrypt(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := testsops.NewDecryptor().Decrypt(filepath.Base(path), data, secrets.FormatFor(path, ""))
	if err != nil {
		t.Fatalf("decrypting %s: %v", path, err)
	}
	v, err := doc.Whole(filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	return v.Bytes()
}

// assertNoSecrets fails when any file under root holds a secret value.
func assertNoSecrets(t *testing.T, root string, values []string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, v := range values {
			if v != "" && strings.Contains(string(data), v) {
				t.Errorf("%s holds a secret value (%d bytes)", p, len(v))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listFiles returns the names of the entries of dir ("" when it is missing).
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// assertRefused checks what every refusal of New guarantees: an error
// containing want, a *FindingsError exactly when findings, nothing written
// in dir, and none of secrets in the error text.
func assertRefused(t *testing.T, res *Result, err error, dir, want string, findings bool, secrets []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("New succeeded: %+v", res)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	var fe *FindingsError
	if errors.As(err, &fe) != findings {
		t.Errorf("FindingsError: %v, want %v (%v)", fe != nil, findings, err)
	}
	if files := listFiles(t, dir); len(files) > 0 {
		t.Errorf("files written despite the error: %v", files)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error reveals a secret: %v", err)
		}
	}
}
