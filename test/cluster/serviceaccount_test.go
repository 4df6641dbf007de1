//go:build cluster

package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestNewServiceAccount runs `clusterpair-fn new --service-account` against
// a real kube-apiserver with kube-controller-manager's token controller,
// with the operator's (system:masters) kubeconfig: the kubeconfig written
// holds only the ServiceAccount's token and the CA, passes Stork's /version
// probe and authenticates as the ServiceAccount; a rerun changes nothing on
// the cluster; --force issues a new token and the old one stops
// authenticating. The same for --token-duration (TokenRequest), and
// --dry-run creates and writes nothing.
func TestNewServiceAccount(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("KUBECONFIG", "")
	kas := binary(t, "KUBE_APISERVER", "kube-apiserver", "run `make e2e` (hack/build-kube-apiserver.sh builds it into .cache/)")
	kcm := binary(t, "KUBE_CONTROLLER_MANAGER", "kube-controller-manager", "run `make e2e` (KUBE_COMPONENT=kube-controller-manager hack/build-kube-apiserver.sh builds it into .cache/)")
	etcd := binary(t, "ETCD", "etcd", "run `make e2e` (hack/ensure-etcd.sh installs Debian's etcd-server)")
	fn := testenv.Tool(t, "clusterpair-fn")

	dst := newAPIServer(t, "sa-destination", kas, etcd)
	dst.waitReady(t)
	dst.startControllerManager(t, kcm)
	summary.addServer("%-11s kube-controller-manager (serviceaccount-token-controller) beside it", dst.name)

	key := newAgeKey(t)
	op := dst.ca.issue(t, certSpec{cn: "operator", orgs: []string{"system:masters"}})
	opKC := kubeconfig{server: dst.url, caPEM: dst.ca.certPEM, userName: "operator", user: clientcmdapi.AuthInfo{ClientCertificateData: op.CertPEM, ClientKeyData: op.KeyPEM}}.bytes(t)
	opPath := filepath.Join(t.TempDir(), "operator.kubeconfig")
	if err := os.WriteFile(opPath, opKC, 0o600); err != nil {
		t.Fatal(err)
	}
	pxToken := "px-sa-" + strings.Repeat("7", 24)
	newPair := func(t *testing.T, dir string, extra ...string) toolResult {
		t.Helper()
		args := append([]string{"new", "dr-sa", "-n", pairNamespace, "--kubeconfig", opPath,
			"--px-endpoint", "127.0.0.1:9001", "--token-env", "PX_TOKEN", "--age", key.recipient, "--dir", dir}, extra...)
		r := runFn(t, fn, []string{"PX_TOKEN=" + pxToken}, args...)
		if strings.Contains(r.stdout+r.stderr, pxToken) || strings.Contains(r.stdout+r.stderr, string(op.KeyPEM)) {
			t.Error("new printed a secret")
		}
		return r
	}
	ctx := context.Background()

	t.Run("secret token", func(t *testing.T) {
		outcome := probeOutcome{name: "new --service-account (Secret token)", expected: "SA token kubeconfig passes /version; rerun changes nothing; --force revokes"}
		defer func() { summary.addProbe(outcome) }()
		sa := []string{"--service-account", "stork-dr"}
		dir1 := filepath.Join(t.TempDir(), "pair")
		r := newPair(t, dir1, sa...)
		if r.err != nil {
			t.Fatalf("new --service-account: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		t.Logf("new:\n%s%s", r.stdout, r.stderr)
		for _, want := range []string{"created  ServiceAccount kube-system/stork-dr", "created  ClusterRoleBinding clusterpair-fn:kube-system:stork-dr", "created  Secret kube-system/stork-dr-token", "does not expire"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("new's report lacks %q", want)
			}
		}
		token1, cfg1 := writtenKubeconfig(t, key, dir1, dst)
		if strings.Contains(r.stdout+r.stderr, token1) {
			t.Error("new printed the ServiceAccount's token")
		}
		if v, err := kubernetes.NewForConfigOrDie(cfg1).Discovery().ServerVersion(); err != nil || v.GitVersion != dst.version {
			t.Fatalf("Stork's /version probe with the written kubeconfig: %v %v", v, err)
		}
		if who := whoAmI(t, cfg1); who != "system:serviceaccount:kube-system:stork-dr" {
			t.Fatalf("the written kubeconfig authenticates as %q", who)
		}
		// cluster-admin: it can do what a Migration does on the destination.
		if _, err := kubernetes.NewForConfigOrDie(cfg1).RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("the ServiceAccount cannot list ClusterRoles: %v", err)
		}

		before := saObjectVersions(t, dst, "kube-system", "stork-dr", "stork-dr-token")
		dir2 := filepath.Join(t.TempDir(), "pair")
		if r := newPair(t, dir2, sa...); r.err != nil {
			t.Fatalf("rerun: %v\n%s%s", r.err, r.stdout, r.stderr)
		} else if strings.Contains(r.stdout, "created ") || strings.Contains(r.stdout, "revoked ") {
			t.Errorf("rerun created or revoked something:\n%s", r.stdout)
		}
		if token2, _ := writtenKubeconfig(t, key, dir2, dst); token2 != token1 {
			t.Error("rerun wrote another token")
		}
		if after := saObjectVersions(t, dst, "kube-system", "stork-dr", "stork-dr-token"); after != before {
			t.Errorf("rerun changed the cluster: %s -> %s", before, after)
		}

		if r := newPair(t, dir2, append(sa, "--force")...); r.err != nil {
			t.Fatalf("--force: %v\n%s%s", r.err, r.stdout, r.stderr)
		} else if !strings.Contains(r.stdout, "revoked  Secret kube-system/stork-dr-token") {
			t.Errorf("--force does not report the revocation:\n%s", r.stdout)
		}
		token3, cfg3 := writtenKubeconfig(t, key, dir2, dst)
		if token3 == token1 {
			t.Fatal("--force kept the token")
		}
		if who := whoAmI(t, cfg3); who != "system:serviceaccount:kube-system:stork-dr" {
			t.Errorf("the new token authenticates as %q", who)
		}
		assertUnauthorized(t, cfg1)
		if !t.Failed() {
			outcome.ok, outcome.got = true, outcome.expected
		} else {
			outcome.got = "see the test log"
		}
	})

	t.Run("token-duration", func(t *testing.T) {
		outcome := probeOutcome{name: "new --service-account --token-duration", expected: "bound token authenticates; --force revokes it"}
		defer func() { summary.addProbe(outcome) }()
		sa := []string{"--service-account", "stork-bound", "--service-account-namespace", "default", "--token-duration", "24h"}
		dir := filepath.Join(t.TempDir(), "pair")
		r := newPair(t, dir, sa...)
		if r.err != nil {
			t.Fatalf("new --token-duration: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "TokenRequest, expires ") {
			t.Errorf("new does not report the expiry:\n%s", r.stdout)
		}
		_, cfg1 := writtenKubeconfig(t, key, dir, dst)
		if who := whoAmI(t, cfg1); who != "system:serviceaccount:default:stork-bound" {
			t.Fatalf("the bound token authenticates as %q", who)
		}
		if r := newPair(t, dir, append(sa, "--force")...); r.err != nil {
			t.Fatalf("--force: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		_, cfg2 := writtenKubeconfig(t, key, dir, dst)
		if who := whoAmI(t, cfg2); who != "system:serviceaccount:default:stork-bound" {
			t.Errorf("the new bound token authenticates as %q", who)
		}
		assertUnauthorized(t, cfg1)
		if !t.Failed() {
			outcome.ok, outcome.got = true, outcome.expected
		} else {
			outcome.got = "see the test log"
		}
	})

	t.Run("dry-run", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "pair")
		r := newPair(t, dir, "--service-account", "stork-dry", "--dry-run")
		if r.err != nil {
			t.Fatalf("--dry-run: %v\n%s", r.err, r.stderr)
		}
		for _, want := range []string{"kind: ServiceAccount", "kind: ClusterRoleBinding", "type: kubernetes.io/service-account-token", "name: stork-dry-token"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("--dry-run output lacks %q:\n%s", want, r.stdout)
			}
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("--dry-run wrote %s", dir)
		}
		if _, err := dst.kube.CoreV1().ServiceAccounts("kube-system").Get(ctx, "stork-dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("--dry-run created the ServiceAccount (%v)", err)
		}
	})
}

// writtenKubeconfig decrypts the pair's kubeconfig with the sops CLI and
// checks it holds the ServiceAccount's token and the CA only; it returns the
// token and a client configuration from it.
func writtenKubeconfig(t *testing.T, key ageKey, dir string, s *apiServer) (string, *rest.Config) {
	t.Helper()
	data, err := testenv.SOPSDecrypt(t, filepath.Join(dir, "destination-kubeconfig.yaml"), "SOPS_AGE_KEY="+key.identity)
	if err != nil {
		t.Fatalf("decrypting the written kubeconfig: %v", err)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.AuthInfos) != 1 || len(cfg.Clusters) != 1 {
		t.Fatalf("the kubeconfig has %d users and %d clusters", len(cfg.AuthInfos), len(cfg.Clusters))
	}
	var token string
	for _, u := range cfg.AuthInfos {
		if u.Token == "" || len(u.ClientCertificateData) > 0 || len(u.ClientKeyData) > 0 || u.Exec != nil || u.AuthProvider != nil || u.Username != "" {
			t.Fatalf("the user entry holds more than a token: %+v", *u)
		}
		token = u.Token
	}
	for _, c := range cfg.Clusters {
		if c.Server != s.url || string(c.CertificateAuthorityData) != string(s.ca.certPEM) || c.InsecureSkipTLSVerify || c.ProxyURL != "" {
			t.Fatalf("the cluster entry is not the server and its CA: %+v", *c)
		}
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	return token, rc
}

// saObjectVersions is the resourceVersions of the ServiceAccount, its
// binding and its token Secret.
func saObjectVersions(t *testing.T, s *apiServer, ns, name, secret string) string {
	t.Helper()
	ctx := context.Background()
	sa, err := s.kube.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crb, err := s.kube.RbacV1().ClusterRoleBindings().Get(ctx, "clusterpair-fn:"+ns+":"+name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := s.kube.CoreV1().Secrets(ns).Get(ctx, secret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sa.ResourceVersion + "/" + crb.ResourceVersion + "/" + sec.ResourceVersion
}

// assertUnauthorized fails unless the configuration's token is rejected. The
// API server caches a successful token authentication for 10 seconds, so a
// revoked token is polled until it is rejected, for at most a minute (a bound
// on eventual consistency, not a speed assertion).
func assertUnauthorized(t *testing.T, cfg *rest.Config) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(cfg)
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := client.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if apierrors.IsUnauthorized(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the revoked token still authenticates a minute later (err %v)", err)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}
