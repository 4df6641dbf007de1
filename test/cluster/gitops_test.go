//go:build cluster && gitops

package cluster

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestGitOps is the GitOps suite (make e2e-gitops): the real Argo CD
// argocd-repo-server and argocd-cmp-server, and Flux's own packages, render
// and apply pairs to one of two real kube-apiservers; the other is the
// destination Stork pairs with.
func TestGitOps(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("KUBECONFIG", "")
	kas := binary(t, "KUBE_APISERVER", "kube-apiserver", "run `make e2e-gitops` (hack/build-kube-apiserver.sh builds it into .cache/)")
	etcd := binary(t, "ETCD", "etcd", "run `make e2e-gitops` (hack/ensure-etcd.sh installs Debian's etcd-server)")
	argocd := binary(t, "ARGOCD", "argocd", "run `make e2e-gitops` (it builds Argo CD from test/gitops/argocd into .cache/)")
	fluxapply := binary(t, "FLUXAPPLY", "fluxapply", "run `make e2e-gitops` (it builds test/gitops/flux/cmd/fluxapply into .cache/)")
	testenv.Tool(t, "kustomize")
	testenv.Tool(t, "sops")
	testenv.Tool(t, "clusterpair-fn")
	for _, v := range []struct{ bin, what string }{{argocd, "Argo CD"}, {fluxapply, "Flux packages"}} {
		out, err := exec.Command(v.bin, "version").Output()
		if err != nil {
			t.Fatalf("%s version: %v", v.bin, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			summary.addServer("%-11s %s", v.what, line)
		}
	}

	crds := readCRDs(t)
	src := newAPIServer(t, "source", kas, etcd)
	dst := newAPIServer(t, "destination", kas, etcd)
	src.waitReady(t)
	dst.waitReady(t)
	installCRDs(t, src, crds)
	ensureNamespace(t, src, pairNamespace)

	// The destination identity Stork pairs as: a client certificate bound to
	// cluster-admin.
	if _, err := dst.kube.RbacV1().ClusterRoleBindings().Create(context.Background(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "stork-dr"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: "rbac.authorization.k8s.io", Name: "stork-dr"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cert := dst.ca.issue(t, certSpec{cn: "stork-dr"})
	kc := kubeconfig{server: dst.url, caPEM: dst.ca.certPEM, userName: "stork-dr",
		user: clientcmdapi.AuthInfo{ClientCertificateData: cert.CertPEM, ClientKeyData: cert.KeyPEM}}.bytes(t)
	key := newAgeKey(t)

	t.Run("argocd", func(t *testing.T) { testArgoCD(t, src, argocd, key, kc) })
	t.Run("flux", func(t *testing.T) { testFlux(t, src, fluxapply, key, kc) })
	// With examples/admission installed on src while they run.
	t.Run("flux recreate", func(t *testing.T) { testFluxRecreate(t, src, dst, fluxapply, key) })
	t.Run("argocd sync", func(t *testing.T) { testArgoSync(t, src, dst, key) })
}

// expectPaired decodes a stored ClusterPair as Stork does and pairs it the
// way Stork does: it must be Ready as the destination's stork-dr user.
func expectPaired(t *testing.T, src *apiServer, name, engine string) {
	t.Helper()
	outcome := probeOutcome{name: engine + " " + name, expected: describeStatus(statusReady, "Scheduler successfully paired") + " as stork-dr"}
	defer func() { summary.addProbe(outcome) }()
	stored := getClusterPair(t, src, name)
	if data := mustJSON(stored.Object); bytes.Contains(data, []byte("ENC[")) {
		outcome.got = "applied encrypted"
		t.Fatalf("%s applied SOPS ciphertext: %s", engine, trimLines(string(data), 20))
	}
	cp, strictErrs, err := decodeStorkClusterPair(mustJSON(stored.Object))
	if err != nil {
		outcome.got = "Stork cannot decode it"
		t.Fatalf("Stork could not decode the stored pair: %v", err)
	}
	if len(strictErrs) > 0 {
		t.Errorf("the stored pair has fields Stork's types drop: %v", strictErrs)
	}
	if problems := storageOptionsProblems(cp.Spec.Options); len(problems) > 0 {
		t.Errorf("Stork's storage side would not pair: %v", problems)
	}
	p := storkSchedulerPair(&cp)
	outcome.got = describeStatus(p.Status, p.Event)
	if p.LogOnly != nil {
		t.Fatalf("Stork could not build a client (it would only log this): %v", p.LogOnly)
	}
	if p.Status != statusReady {
		t.Fatalf("Stork-like pairing: status %q, event %q; want Ready", p.Status, p.Event)
	}
	who := whoAmI(t, p.Config)
	outcome.got += " as " + who
	if who != "stork-dr" {
		t.Fatalf("the destination sees the pair's user as %q, want stork-dr", who)
	}
	outcome.ok = true
}

// adminKubeconfig writes a kubeconfig file for the server's admin.
func adminKubeconfig(t testing.TB, s *apiServer) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["s"] = &clientcmdapi.Cluster{Server: s.url, CertificateAuthorityData: s.admin.CAData}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: s.admin.CertData, ClientKeyData: s.admin.KeyData}
	cfg.Contexts["s"] = &clientcmdapi.Context{Cluster: "s", AuthInfo: "admin"}
	cfg.CurrentContext = "s"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, filepath.Join(t.TempDir(), "kubeconfig"), data)
}

// waitListening waits (bounded by the start-up deadline) until something
// accepts connections on the loopback port, failing if p exits first.
func waitListening(t testing.TB, p *process, port int) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(startupDeadline)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if p.exited() {
			t.Fatalf("%s exited during start-up (%v):\n%s", p.name, p.waitErr, p.logTail(30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s after %s:\n%s", p.name, addr, startupDeadline, p.logTail(30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitFile waits (bounded by the start-up deadline) until path exists.
func waitFile(t testing.TB, p *process, path string) {
	t.Helper()
	deadline := time.Now().Add(startupDeadline)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if p.exited() {
			t.Fatalf("%s exited during start-up (%v):\n%s", p.name, p.waitErr, p.logTail(30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not create %s after %s:\n%s", p.name, path, startupDeadline, p.logTail(30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runTool runs a program with an isolated environment plus env.
func runTool(t testing.TB, bin string, env []string, args ...string) toolResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(testenv.IsolatedEnv(t.TempDir()), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return toolResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// objectsOf decodes a render into objects, failing on none.
func objectsOf(t testing.TB, stream string) []*unstructured.Unstructured {
	t.Helper()
	objs := splitObjects(t, stream)
	if len(objs) == 0 {
		t.Fatalf("no objects in:\n%s", stream)
	}
	return objs
}
