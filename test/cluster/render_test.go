//go:build cluster

package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// ageKey is a throwaway age identity generated for this run.
type ageKey struct {
	identity  string // AGE-SECRET-KEY-1...
	recipient string // age1...
}

func newAgeKey(t testing.TB) ageKey {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return ageKey{identity: id.String(), recipient: id.Recipient().String()}
}

// sopsEncrypt encrypts plaintext (given on stdin, so it never touches the
// disk) with the sops CLI from ./bin to the key's recipient; name selects the
// format, as with sops' own --filename-override.
func sopsEncrypt(t testing.TB, key ageKey, name string, plaintext []byte) []byte {
	t.Helper()
	sops := testenv.Tool(t, "sops")
	cmd := exec.Command(sops, "--disable-version-check", "encrypt", "--age", key.recipient, "--filename-override", name)
	cmd.Dir = t.TempDir() // no .sops.yaml above it
	cmd.Env = testenv.IsolatedEnv(t.TempDir())
	cmd.Stdin = bytes.NewReader(plaintext)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sops encrypt %s: %v\n%s", name, err, stderr.String())
	}
	if bytes.Contains(stdout.Bytes(), plaintext) {
		t.Fatalf("sops output for %s contains the plaintext", name)
	}
	return stdout.Bytes()
}

// kubeconfig builds a kubeconfig file (clientcmd v1 YAML) with one cluster,
// one user and one context naming them.
type kubeconfig struct {
	server      string
	caPEM       []byte
	userName    string // the user entry's name
	user        clientcmdapi.AuthInfo
	contextUser string // the user the context names; userName if empty
}

func (k kubeconfig) bytes(t testing.TB) []byte {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["destination"] = &clientcmdapi.Cluster{Server: k.server, CertificateAuthorityData: k.caPEM}
	user := k.user
	cfg.AuthInfos[k.userName] = &user
	ctxUser := k.contextUser
	if ctxUser == "" {
		ctxUser = k.userName
	}
	cfg.Contexts["destination"] = &clientcmdapi.Context{Cluster: "destination", AuthInfo: ctxUser}
	cfg.CurrentContext = "destination"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// pairDir writes a kustomization directory rendering one ClusterPair: the
// request, the kustomization and the two SOPS-encrypted files.
func pairDir(t testing.TB, key ageKey, name string, kubeconfig []byte, serverOverride string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	server := ""
	if serverOverride != "" {
		server = "\n      server: " + serverOverride
	}
	request := fmt.Sprintf(`apiVersion: fn.clusterpair.dev/v1alpha1
kind: ClusterPairRequest
metadata:
  name: %s
  namespace: %s
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: clusterpair-fn
spec:
  mode: async-dr
  destination:
    kubeconfig:
      file: destination-kubeconfig.yaml%s
  storage:
    ip: px-api.destination.e2e.invalid
    port: 9001
    token:
      file: px-token.enc
`, name, pairNamespace, server)
	files := map[string][]byte{
		"clusterpair.yaml":            []byte(request),
		"kustomization.yaml":          []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ngenerators:\n  - clusterpair.yaml\n"),
		"destination-kubeconfig.yaml": sopsEncrypt(t, key, "destination-kubeconfig.yaml", kubeconfig),
		"px-token.enc":                sopsEncrypt(t, key, "px-token.enc", []byte("px-pairing-token-"+name+"\n")),
	}
	for n, data := range files {
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type toolResult struct {
	stdout, stderr string
	err            error
}

// kustomizeBuild runs the real standalone kustomize on dir with exec
// functions enabled, ./bin first on PATH, an isolated HOME and only env's
// sops key variables.
func kustomizeBuild(t testing.TB, dir string, env ...string) toolResult {
	t.Helper()
	kustomize := testenv.Tool(t, "kustomize")
	cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
	cmd.Dir = t.TempDir()
	base := testenv.IsolatedEnv(t.TempDir(), "PATH="+testenv.Path("bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(base, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return toolResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// splitObjects decodes a multi-document YAML stream into objects; empty
// documents are dropped.
func splitObjects(t testing.TB, stream string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range splitDocuments(stream) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("output is not YAML: %v\n%s", err, doc)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}

// splitDocuments splits a YAML stream on document separators.
func splitDocuments(stream string) []string {
	var docs []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(stream, "\n") {
		if strings.TrimRight(line, " \t\r\n") == "---" {
			docs = append(docs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(docs, cur.String())
}
