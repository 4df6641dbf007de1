//go:build cluster

package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
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
// the cluster; --force issues a new token in a Secret of a new name, and
// the old one stops authenticating; the token Secret of an earlier release
// (fixed name) is reused, then rotated away. The same for --token-duration
// (TokenRequest), and --dry-run creates and writes nothing. All of it twice:
// with an RSA 2048 signing key, as kubeadm makes it (RS256 signatures are
// deterministic: a legacy token recreated with the same claims is
// byte-identical), and with ECDSA P-256.
func TestNewServiceAccount(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("KUBECONFIG", "")
	kas := binary(t, "KUBE_APISERVER", "kube-apiserver", "run `make e2e` (hack/build-kube-apiserver.sh builds it into .cache/)")
	kcm := binary(t, "KUBE_CONTROLLER_MANAGER", "kube-controller-manager", "run `make e2e` (KUBE_COMPONENT=kube-controller-manager hack/build-kube-apiserver.sh builds it into .cache/)")
	etcd := binary(t, "ETCD", "etcd", "run `make e2e` (hack/ensure-etcd.sh installs Debian's etcd-server)")
	fn := testenv.Tool(t, "clusterpair-fn")
	for _, alg := range []saKeyAlgorithm{saKeyRSA, saKeyECDSA} {
		t.Run(string(alg), func(t *testing.T) { testNewServiceAccount(t, alg, kas, kcm, etcd, fn) })
	}
}

// testNewServiceAccount is TestNewServiceAccount against one API server
// whose service-account signing key is of algorithm alg; the server and its
// controller manager stop when it returns.
func testNewServiceAccount(t *testing.T, alg saKeyAlgorithm, kas, kcm, etcd, fn string) {
	dst := newAPIServerSAKey(t, "sa-destination-"+string(alg), kas, etcd, alg)
	dst.waitReady(t)
	dst.startControllerManager(t, kcm)
	summary.addServer("%-11s kube-controller-manager (serviceaccount-token-controller) beside it, %s signing key", dst.name, alg)

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
		outcome := probeOutcome{name: "new --service-account (Secret token, " + string(alg) + " signing key)", expected: "SA token kubeconfig passes /version; rerun changes nothing; --force issues another token, the old one gets 401"}
		defer func() { summary.addProbe(outcome) }()
		sa := []string{"--service-account", "stork-dr"}
		dir1 := filepath.Join(t.TempDir(), "pair")
		r := newPair(t, dir1, sa...)
		if r.err != nil {
			t.Fatalf("new --service-account: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		t.Logf("new:\n%s%s", r.stdout, r.stderr)
		for _, want := range []string{"created  ServiceAccount kube-system/stork-dr", "created  ClusterRoleBinding clusterpair-fn:kube-system:stork-dr", "does not expire"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("new's report lacks %q", want)
			}
		}
		first := reportedSecret(t, r.stdout, "created", "kube-system", "stork-dr-token-")
		token1, cfg1 := writtenKubeconfig(t, key, dir1, dst)
		if strings.Contains(r.stdout+r.stderr, token1) {
			t.Error("new printed the ServiceAccount's token")
		}
		claims := jwtClaims(t, token1)
		t.Logf("the legacy token's claims: %v", claims)
		if claims[secretNameClaim] != first {
			t.Errorf("the token's %s claim is %v, not the Secret new reported, %s", secretNameClaim, claims[secretNameClaim], first)
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

		before := saObjectVersions(t, dst, "kube-system", "stork-dr", first)
		dir2 := filepath.Join(t.TempDir(), "pair")
		if r := newPair(t, dir2, sa...); r.err != nil {
			t.Fatalf("rerun: %v\n%s%s", r.err, r.stdout, r.stderr)
		} else if strings.Contains(r.stdout, "created ") || strings.Contains(r.stdout, "revoked ") || !strings.Contains(r.stdout, "reused   Secret kube-system/"+first+"\n") {
			t.Errorf("rerun created or revoked something, or did not reuse %s:\n%s", first, r.stdout)
		}
		if token2, _ := writtenKubeconfig(t, key, dir2, dst); token2 != token1 {
			t.Error("rerun wrote another token")
		}
		if after := saObjectVersions(t, dst, "kube-system", "stork-dr", first); after != before {
			t.Errorf("rerun changed the cluster: %s -> %s", before, after)
		}

		r = newPair(t, dir2, append(sa, "--force")...)
		if r.err != nil {
			t.Fatalf("--force: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		t.Logf("new --force:\n%s", r.stdout)
		if !strings.Contains(r.stdout, "revoked  Secret kube-system/"+first+" (its token stops authenticating within about 10 seconds)") {
			t.Errorf("--force does not report the revocation of %s:\n%s", first, r.stdout)
		}
		second := reportedSecret(t, r.stdout, "created", "kube-system", "stork-dr-token-")
		if second == first {
			t.Fatalf("--force reused the Secret name %s", first)
		}
		token3, cfg3 := writtenKubeconfig(t, key, dir2, dst)
		if token3 == token1 {
			t.Fatal("--force kept the token")
		}
		if got := jwtClaims(t, token3)[secretNameClaim]; got != second {
			t.Errorf("the new token's %s claim is %v, not %s", secretNameClaim, got, second)
		}
		if who := whoAmI(t, cfg3); who != "system:serviceaccount:kube-system:stork-dr" {
			t.Errorf("the new token authenticates as %q", who)
		}
		assertSecretGone(t, dst, "kube-system", first)
		assertUnauthorized(t, cfg1)
		// The old token is rejected for good, while the new one still works.
		if who := whoAmI(t, cfg3); who != "system:serviceaccount:kube-system:stork-dr" {
			t.Errorf("after the old token was rejected, the new one authenticates as %q", who)
		}

		// A later run finds the rotated Secret by its labels.
		dir3 := filepath.Join(t.TempDir(), "pair")
		if r := newPair(t, dir3, sa...); r.err != nil {
			t.Fatalf("rerun after --force: %v\n%s%s", r.err, r.stdout, r.stderr)
		} else if !strings.Contains(r.stdout, "reused   Secret kube-system/"+second+"\n") || strings.Contains(r.stdout, "created ") {
			t.Errorf("rerun after --force did not reuse %s:\n%s", second, r.stdout)
		}
		if token4, _ := writtenKubeconfig(t, key, dir3, dst); token4 != token3 {
			t.Error("rerun after --force wrote another token")
		}
		if !t.Failed() {
			outcome.ok, outcome.got = true, outcome.expected
		} else {
			outcome.got = "see the test log"
		}
	})

	t.Run("earlier release's Secret", func(t *testing.T) {
		outcome := probeOutcome{name: "new --service-account over an earlier release's NAME-token Secret (" + string(alg) + " signing key)", expected: "rerun reuses it; --force replaces it by another name, the old token gets 401"}
		defer func() { summary.addProbe(outcome) }()
		// What releases before generated names left on the cluster: the
		// ServiceAccount and a token Secret of a fixed name, NAME-token.
		labels := map[string]string{"app.kubernetes.io/managed-by": "clusterpair-fn"}
		if _, err := dst.kube.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "stork-old", Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.kube.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "stork-old-token", Labels: labels, Annotations: map[string]string{corev1.ServiceAccountNameKey: "stork-old"}},
			Type:       corev1.SecretTypeServiceAccountToken,
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		sa := []string{"--service-account", "stork-old"}
		dir := filepath.Join(t.TempDir(), "pair")
		r := newPair(t, dir, sa...)
		if r.err != nil {
			t.Fatalf("new over the earlier release's Secret: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "reused   Secret kube-system/stork-old-token\n") || strings.Contains(r.stdout, "created  Secret") {
			t.Errorf("new did not reuse Secret stork-old-token:\n%s", r.stdout)
		}
		old, oldCfg := writtenKubeconfig(t, key, dir, dst)
		if who := whoAmI(t, oldCfg); who != "system:serviceaccount:kube-system:stork-old" {
			t.Fatalf("the earlier release's token authenticates as %q", who)
		}
		r = newPair(t, dir, append(sa, "--force")...)
		if r.err != nil {
			t.Fatalf("--force: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "revoked  Secret kube-system/stork-old-token (its token stops authenticating within about 10 seconds)") {
			t.Errorf("--force does not report the revocation of stork-old-token:\n%s", r.stdout)
		}
		reportedSecret(t, r.stdout, "created", "kube-system", "stork-old-token-")
		token, cfg := writtenKubeconfig(t, key, dir, dst)
		if token == old {
			t.Fatal("--force kept the earlier release's token")
		}
		if who := whoAmI(t, cfg); who != "system:serviceaccount:kube-system:stork-old" {
			t.Errorf("the new token authenticates as %q", who)
		}
		assertSecretGone(t, dst, "kube-system", "stork-old-token")
		assertUnauthorized(t, oldCfg)
		if !t.Failed() {
			outcome.ok, outcome.got = true, outcome.expected
		} else {
			outcome.got = "see the test log"
		}
	})

	t.Run("token-duration", func(t *testing.T) {
		outcome := probeOutcome{name: "new --service-account --token-duration (" + string(alg) + " signing key)", expected: "bound token authenticates; --force revokes it"}
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
		first := reportedSecret(t, r.stdout, "created", "default", "stork-bound-token-binding-")
		_, cfg1 := writtenKubeconfig(t, key, dir, dst)
		if who := whoAmI(t, cfg1); who != "system:serviceaccount:default:stork-bound" {
			t.Fatalf("the bound token authenticates as %q", who)
		}
		r = newPair(t, dir, append(sa, "--force")...)
		if r.err != nil {
			t.Fatalf("--force: %v\n%s%s", r.err, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "revoked  Secret default/"+first+" (every token bound to it stops authenticating within about 10 seconds)") {
			t.Errorf("--force does not report the revocation of %s:\n%s", first, r.stdout)
		}
		if second := reportedSecret(t, r.stdout, "created", "default", "stork-bound-token-binding-"); second == first {
			t.Errorf("--force reused the Secret name %s", first)
		}
		_, cfg2 := writtenKubeconfig(t, key, dir, dst)
		if who := whoAmI(t, cfg2); who != "system:serviceaccount:default:stork-bound" {
			t.Errorf("the new bound token authenticates as %q", who)
		}
		assertSecretGone(t, dst, "default", first)
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
		for _, want := range []string{"kind: ServiceAccount", "kind: ClusterRoleBinding", "type: kubernetes.io/service-account-token", "generateName: stork-dry-token-", "With\n# --force, a new one is created"} {
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

// secretNameClaim is the claim of a legacy token that names its Secret.
const secretNameClaim = "kubernetes.io/serviceaccount/secret.name"

// reportedSecret returns the name of the Secret new's report says it did
// verb to ("created  Secret NS/PREFIXxxxxx"), failing unless there is
// exactly one.
func reportedSecret(t *testing.T, report, verb, ns, prefix string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^  ` + verb + ` +Secret ` + regexp.QuoteMeta(ns+"/"+prefix) + `([a-z0-9]{5})$`)
	m := re.FindAllStringSubmatch(report, -1)
	if len(m) != 1 {
		t.Fatalf("new's report has %d lines %q Secret %s/%sXXXXX:\n%s", len(m), verb, ns, prefix, report)
	}
	return prefix + m[0][1]
}

// assertSecretGone fails unless the Secret does not exist.
func assertSecretGone(t *testing.T, s *apiServer, ns, name string) {
	t.Helper()
	if _, err := s.kube.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Secret %s/%s still exists (%v)", ns, name, err)
	}
}

// jwtClaims returns the claims of a JWT (its payload; the signature is not
// checked): they are not secret, the signature is.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("the token is not a JWT (%d parts)", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("the token's payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("the token's claims: %v", err)
	}
	return claims
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
