//go:build cluster

package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// pairNamespace is the source namespace the rendered pairs live in.
const pairNamespace = "app"

// unauthorized is client-go's message for a 401 from the destination.
const unauthorized = "the server has asked for the client to provide credentials"

var clusterPairGVR = schema.GroupVersionResource{Group: "stork.libopenstorage.org", Version: "v1alpha1", Resource: "clusterpairs"}

// TestCluster starts the two API servers once and runs the pairing and
// example suites against them. Everything it starts is killed in t.Cleanup.
func TestCluster(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("KUBECONFIG", "")
	kas := binary(t, "KUBE_APISERVER", "kube-apiserver", "run `make e2e` (hack/build-kube-apiserver.sh builds it into .cache/)")
	etcd := binary(t, "ETCD", "etcd", "run `make e2e` (hack/ensure-etcd.sh installs Debian's etcd-server)")
	testenv.Tool(t, "kustomize")
	testenv.Tool(t, "sops")
	testenv.Tool(t, "clusterpair-fn")
	crds := readCRDs(t)

	src := newAPIServer(t, "source", kas, etcd)
	dst := newAPIServer(t, "destination", kas, etcd)
	src.waitReady(t)
	dst.waitReady(t)
	index := installCRDs(t, src, crds)

	t.Run("pairing", func(t *testing.T) { testPairing(t, src, dst, newServerAPI(t, src, index)) })
	t.Run("examples", func(t *testing.T) { testExamples(t, src, index) })
	t.Run("stork model", func(t *testing.T) { testStorkModel(t, src, dst, newAgeKey(t)) })
	// Last: the policy applies to every ClusterPair of the server.
	t.Run("admission", func(t *testing.T) { testAdmission(t, src) })
}

// pairCase is one destination credential rendered, applied and paired.
type pairCase struct {
	name       string
	kubeconfig []byte
	server     string // spec.destination.kubeconfig.server override

	// renderError, if set, is what the failing render's stderr must say;
	// the raw kubeconfig is then probed directly, expecting rawStatus and
	// rawMessage, to show the render-time check matches the destination.
	renderError string
	rawStatus   string
	rawMessage  string
	rawIdentity string

	warning  string // expected on a successful render's stderr
	status   string // expected schedulerStatus after Stork's pairing
	message  string // substring of Stork's event for that status
	identity string // for Ready: who the destination says the pair's user is
}

func testPairing(t *testing.T, src, dst *apiServer, api serverAPI) {
	ctx := context.Background()
	key := newAgeKey(t)
	ensureNamespace(t, src, pairNamespace)

	// Destination identities: a user with a client certificate and a
	// ServiceAccount with a bearer token, both bound to cluster-admin as
	// Stork's migrations need; and a ServiceAccount deleted after its token
	// was issued.
	if _, err := dst.kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "stork-dr"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{
			{Kind: rbacv1.UserKind, APIGroup: "rbac.authorization.k8s.io", Name: "stork-dr"},
			{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "stork-dr"},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	token := serviceAccountToken(t, dst, "kube-system", "stork-dr")
	revoked := serviceAccountToken(t, dst, "kube-system", "stork-dr-revoked")
	if err := dst.kube.CoreV1().ServiceAccounts("kube-system").Delete(ctx, "stork-dr-revoked", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	userCert := dst.ca.issue(t, certSpec{cn: "stork-dr"})
	expired := dst.ca.issue(t, certSpec{cn: "stork-dr", notBefore: time.Now().Add(-72 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
	foreign := src.ca.issue(t, certSpec{cn: "stork-dr"}) // a real CA, but not the destination's
	impostor := newCA(t, "impostor-ca")
	deadPort := freePort(t)

	certUser := clientcmdapi.AuthInfo{ClientCertificateData: userCert.CertPEM, ClientKeyData: userCert.KeyPEM}
	kc := func(caPEM []byte, user clientcmdapi.AuthInfo) kubeconfig {
		return kubeconfig{server: dst.url, caPEM: caPEM, userName: "stork-dr", user: user}
	}
	missingUser := kc(dst.ca.certPEM, certUser)
	missingUser.contextUser = "ghost"

	cases := []pairCase{
		{name: "client-cert", kubeconfig: kc(dst.ca.certPEM, certUser).bytes(t),
			warning: "loopback", status: statusReady, message: "Scheduler successfully paired", identity: "stork-dr"},
		{name: "bearer-token", kubeconfig: kc(dst.ca.certPEM, clientcmdapi.AuthInfo{Token: token}).bytes(t),
			status: statusReady, message: "Scheduler successfully paired", identity: "system:serviceaccount:kube-system:stork-dr"},
		// Stork's probe only calls /version, which RBAC opens to anonymous
		// users: a pair without credentials would be Ready and useless. The
		// renderer refuses it.
		{name: "no-credentials", kubeconfig: kc(dst.ca.certPEM, clientcmdapi.AuthInfo{}).bytes(t),
			renderError: "has no credentials", rawStatus: statusReady, rawMessage: "Scheduler successfully paired", rawIdentity: "system:anonymous"},
		// Detectable only with the network: render fine, fail Stork's probe.
		{name: "wrong-ca", kubeconfig: kc(impostor.certPEM, certUser).bytes(t),
			status: statusError, message: "certificate signed by unknown authority"},
		{name: "dead-port", kubeconfig: kc(dst.ca.certPEM, certUser).bytes(t), server: fmt.Sprintf("https://127.0.0.1:%d", deadPort),
			status: statusError, message: "connection refused"},
		{name: "unknown-client-cert", kubeconfig: kc(dst.ca.certPEM, clientcmdapi.AuthInfo{ClientCertificateData: foreign.CertPEM, ClientKeyData: foreign.KeyPEM}).bytes(t),
			status: statusError, message: unauthorized},
		{name: "revoked-token", kubeconfig: kc(dst.ca.certPEM, clientcmdapi.AuthInfo{Token: revoked}).bytes(t),
			status: statusError, message: unauthorized},
		// Detectable offline: the render fails; the raw kubeconfig shows
		// what Stork would have done with it.
		{name: "expired-client-cert", kubeconfig: kc(dst.ca.certPEM, clientcmdapi.AuthInfo{ClientCertificateData: expired.CertPEM, ClientKeyData: expired.KeyPEM}).bytes(t),
			renderError: "expired", rawStatus: statusError, rawMessage: unauthorized},
		// Stork's kubernetes.NewForConfig fails on these: it returns before
		// writing a status, and the reason is only in its log.
		{name: "unparseable-ca", kubeconfig: kc([]byte("not a certificate\n"), certUser).bytes(t),
			renderError: "certificate-authority-data", rawStatus: statusInitial, rawMessage: "unable to load root certificates"},
		{name: "client-cert-key-mismatch", kubeconfig: kc(dst.ca.certPEM, clientcmdapi.AuthInfo{ClientCertificateData: userCert.CertPEM, ClientKeyData: foreign.KeyPEM}).bytes(t),
			renderError: "client-key-data", rawStatus: statusInitial, rawMessage: "private key does not match public key"},
		// client-go's ClientConfig treats a context's missing user as no
		// credentials (only clientcmd.Validate flags it), and /version is
		// public: Stork would report Ready, paired as system:anonymous.
		{name: "user-not-in-kubeconfig", kubeconfig: missingUser.bytes(t),
			renderError: "ghost", rawStatus: statusReady, rawMessage: "Scheduler successfully paired", rawIdentity: "system:anonymous"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runPairCase(t, src, api, key, c) })
	}
}

// serviceAccountToken creates the ServiceAccount and returns a bound token
// for it from the TokenRequest API.
func serviceAccountToken(t *testing.T, s *apiServer, ns, name string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	seconds := int64(3600)
	tr, err := s.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &seconds},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

func runPairCase(t *testing.T, src *apiServer, api serverAPI, key ageKey, c pairCase) {
	dir := pairDir(t, key, c.name, c.kubeconfig, c.server)
	r := kustomizeBuild(t, dir, "SOPS_AGE_KEY="+key.identity)
	if r.stderr != "" {
		t.Logf("render stderr:\n%s", trimLines(r.stderr, 12))
	}

	if c.renderError != "" {
		outcome := probeOutcome{name: c.name, expected: "render error (" + c.renderError + ")"}
		defer func() { summary.addProbe(outcome) }()
		if r.err == nil {
			outcome.got = "rendered"
			t.Fatalf("render succeeded; want a failure mentioning %q\n%s", c.renderError, r.stdout)
		}
		if r.stdout != "" {
			t.Errorf("a failed render printed output:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, c.renderError) {
			outcome.got = "render error without " + c.renderError
			t.Fatalf("render stderr lacks %q:\n%s", c.renderError, r.stderr)
		}
		// What the renderer refused, Stork would have failed on too.
		cfg, err := clientcmd.Load(c.kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		raw := storkClusterPair{Spec: storkClusterPairSpec{Config: *cfg}}
		p := storkSchedulerPair(&raw)
		msg := p.Event
		if p.LogOnly != nil {
			msg = p.LogOnly.Error()
		}
		if p.Status != c.rawStatus || !strings.Contains(msg, c.rawMessage) {
			outcome.got = fmt.Sprintf("render error; raw config: status %q: %s", p.Status, msg)
			t.Fatalf("Stork-like probe of the raw kubeconfig: status %q, message %q; want %q with %q", p.Status, msg, c.rawStatus, c.rawMessage)
		}
		outcome.got = fmt.Sprintf("render error; unrendered kubeconfig would be %s", describeStatus(p.Status, msg))
		if c.rawIdentity != "" {
			who := whoAmI(t, p.Config)
			outcome.got += " as " + who
			if who != c.rawIdentity {
				t.Fatalf("the destination sees the raw kubeconfig's user as %q, want %q", who, c.rawIdentity)
			}
		}
		outcome.ok = true
		return
	}

	outcome := probeOutcome{name: c.name, expected: describeStatus(c.status, c.message)}
	if c.identity != "" {
		outcome.expected += " as " + c.identity
	}
	defer func() { summary.addProbe(outcome) }()
	if r.err != nil {
		outcome.got = "render error"
		t.Fatalf("kustomize build: %v\n%s", r.err, r.stderr)
	}
	if c.warning != "" && !strings.Contains(r.stderr, c.warning) {
		t.Errorf("render stderr lacks the warning %q:\n%s", c.warning, r.stderr)
	}
	if strings.Contains(r.stderr, key.identity) {
		t.Errorf("render stderr contains the age identity")
	}
	// Apply everything the render prints (today one ClusterPair; the
	// BackupLocation and Secret of an object store when a case asks for one).
	var rendered *unstructured.Unstructured
	for _, o := range splitObjects(t, r.stdout) {
		m, skip, fail := api.plan(o.GroupVersionKind())
		if fail != nil || skip != "" {
			t.Fatalf("the render printed %s, which the source server does not serve: %v %s", objectRef(o), fail, skip)
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ensureNamespace(t, src, o.GetNamespace())
		}
		if _, err := applyObject(t, src, m.Resource, o, false); err != nil {
			outcome.got = "apply failed"
			t.Fatalf("server-side apply of %s: %v", objectRef(o), err)
		}
		summary.addApplied("%s (source)", objectRef(o))
		if o.GetKind() == "ClusterPair" {
			if rendered != nil {
				t.Fatalf("more than one ClusterPair rendered:\n%s", r.stdout)
			}
			rendered = o
		}
	}
	if rendered == nil || rendered.GetName() != c.name || rendered.GetNamespace() != pairNamespace {
		t.Fatalf("want the ClusterPair %s/%s, got:\n%s", pairNamespace, c.name, r.stdout)
	}
	if _, ok := rendered.Object["status"]; ok {
		t.Errorf("the rendered pair carries a status")
	}

	stored := getClusterPair(t, src, c.name)
	storedSpec, _, _ := unstructured.NestedMap(stored.Object, "spec")
	if !sameJSON(storedSpec, rendered.Object["spec"]) {
		t.Errorf("the stored spec differs from the rendered one\n--- rendered\n%s\n--- stored\n%s", mustJSON(rendered.Object["spec"]), mustJSON(storedSpec))
	}
	if _, ok := stored.Object["status"]; ok {
		t.Errorf("the stored pair has a status before Stork ran: %v", stored.Object["status"])
	}

	// Decode it as Stork does and pair the way Stork does.
	cp, strictErrs, err := decodeStorkClusterPair(mustJSON(stored.Object))
	if err != nil {
		outcome.got = "Stork cannot decode it"
		t.Fatalf("Stork could not decode the stored pair: %v", err)
	}
	if len(strictErrs) > 0 {
		t.Errorf("the stored pair has fields Stork's types drop: %v", strictErrs)
	}
	if c.server != "" {
		cluster := cp.Spec.Config.Clusters[cp.Spec.Config.Contexts[cp.Spec.Config.CurrentContext].Cluster]
		if cluster.Server != c.server {
			t.Errorf("server override not applied: %s", cluster.Server)
		}
	}
	if problems := storageOptionsProblems(cp.Spec.Options); len(problems) > 0 {
		t.Errorf("Stork's storage side would not pair: %v", problems)
	}
	p := storkSchedulerPair(&cp)
	outcome.got = describeStatus(p.Status, p.Event)
	if p.LogOnly != nil {
		outcome.got = "no status; Stork logs: " + p.LogOnly.Error()
		t.Fatalf("Stork could not build a client (it would only log this): %v", p.LogOnly)
	}
	if p.Status != c.status || !strings.Contains(p.Event, c.message) {
		t.Fatalf("Stork-like pairing: status %q, event %q; want %q with %q", p.Status, p.Event, c.status, c.message)
	}
	if c.identity != "" {
		who := whoAmI(t, p.Config)
		outcome.got += " as " + who
		if who != c.identity {
			t.Fatalf("the destination sees the pair's user as %q, want %q", who, c.identity)
		}
	}

	// Record the status the way Stork does (a plain Update: the CRD has no
	// status subresource), then re-apply the render as a GitOps tool would:
	// the status must survive, since the render does not own it.
	unstructured.SetNestedField(stored.Object, p.Status, "status", "schedulerStatus")
	unstructured.SetNestedField(stored.Object, "NotProvided", "status", "storageStatus")
	unstructured.SetNestedField(stored.Object, "", "status", "remoteStorageId")
	if _, err := src.dyn.Resource(clusterPairGVR).Namespace(pairNamespace).Update(context.Background(), stored, metav1.UpdateOptions{FieldManager: "stork"}); err != nil {
		t.Fatalf("Stork's status update: %v", err)
	}
	if _, err := applyObject(t, src, clusterPairGVR, rendered, false); err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	again, _, err := decodeStorkClusterPair(mustJSON(getClusterPair(t, src, c.name).Object))
	if err != nil {
		t.Fatal(err)
	}
	if again.Status.SchedulerStatus != p.Status {
		t.Fatalf("after re-applying the render, schedulerStatus is %q, want %q (kept)", again.Status.SchedulerStatus, p.Status)
	}
	outcome.ok = true
}

// sameJSON compares two values by their JSON form (YAML and the API server
// decode numbers differently).
func sameJSON(a, b any) bool {
	var x, y any
	if err := json.Unmarshal(mustJSON(a), &x); err != nil {
		return false
	}
	if err := json.Unmarshal(mustJSON(b), &y); err != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func describeStatus(status, message string) string {
	if status == "" {
		return "no status (" + message + ")"
	}
	if status == statusReady {
		return status
	}
	return status + " (" + message + ")"
}

func getClusterPair(t *testing.T, s *apiServer, name string) *unstructured.Unstructured {
	t.Helper()
	o, err := s.dyn.Resource(clusterPairGVR).Namespace(pairNamespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading back ClusterPair %s: %v", name, err)
	}
	return o
}

// whoAmI asks the destination who the pair's credentials authenticate as.
// Anonymous requests may not create SelfSubjectReviews; the error names them.
func whoAmI(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if apierrors.IsForbidden(err) && strings.Contains(err.Error(), `"system:anonymous"`) {
		return "system:anonymous"
	}
	if err != nil {
		t.Fatalf("SelfSubjectReview: %v", err)
	}
	return r.Status.UserInfo.Username
}
