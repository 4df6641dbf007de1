package author

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// fakeCluster is a fake clientset whose "token controller" fills every
// kubernetes.io/service-account-token Secret on create (unless off), and
// whose TokenRequest API issues numbered tokens.
type fakeCluster struct {
	*fake.Clientset
	issued atomic.Int64
	caPEM  []byte // the token Secrets' ca.crt
}

func newFakeCluster(t *testing.T, tokenController bool, objects ...runtime.Object) *fakeCluster {
	t.Helper()
	c := &fakeCluster{Clientset: fake.NewClientset(objects...), caPEM: []byte("cluster-ca")}
	c.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca, ok := a.(k8stesting.CreateAction)
		if !ok || a.GetSubresource() != "" {
			return false, nil, nil
		}
		sa := ca.GetObject().(*corev1.ServiceAccount)
		sa.UID = types.UID("sa-uid-" + sa.Name)
		return false, nil, nil
	})
	c.PrependReactor("create", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		s := a.(k8stesting.CreateAction).GetObject().(*corev1.Secret)
		s.UID = types.UID(fmt.Sprintf("secret-uid-%d", c.issued.Add(1)))
		if tokenController && s.Type == corev1.SecretTypeServiceAccountToken {
			s.Data = map[string][]byte{
				corev1.ServiceAccountTokenKey:  []byte(fmt.Sprintf("legacy-token-%s-%d", s.Annotations[corev1.ServiceAccountNameKey], c.issued.Load())),
				corev1.ServiceAccountRootCAKey: c.caPEM,
			}
		}
		return false, nil, nil
	})
	c.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "token" {
			return false, nil, nil
		}
		tr := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenRequest).DeepCopy()
		exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		tr.Status = authenticationv1.TokenRequestStatus{Token: fmt.Sprintf("bound-token-%d", c.issued.Add(1)), ExpirationTimestamp: metav1.NewTime(exp)}
		return true, tr, nil
	})
	return c
}

func (c *fakeCluster) creates() []string {
	var out []string
	for _, a := range c.Actions() {
		if a.GetVerb() == "create" || a.GetVerb() == "delete" {
			out = append(out, a.GetVerb()+" "+a.GetResource().Resource+subresource(a))
		}
	}
	return out
}

func subresource(a k8stesting.Action) string {
	if a.GetSubresource() != "" {
		return "/" + a.GetSubresource()
	}
	return ""
}

func saOptions(c *fakeCluster) ServiceAccountOptions {
	o, err := ServiceAccountOptions{Name: "stork-dr", Client: c, Wait: time.Second}.withDefaults()
	if err != nil {
		panic(err)
	}
	return o
}

// TestProvisionIsIdempotentAndForceRotates: the first run creates the
// ServiceAccount, binding and token Secret; a rerun reuses them and changes
// nothing; --force deletes the Secret (revoking its token) and gets a new one.
func TestProvisionIsIdempotentAndForceRotates(t *testing.T) {
	c := newFakeCluster(t, true)
	o := saOptions(c)
	ctx := context.Background()

	tok1, res, err := provisionServiceAccount(ctx, c, o, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ServiceAccount kube-system/stork-dr", "ClusterRoleBinding clusterpair-fn:kube-system:stork-dr", "Secret kube-system/stork-dr-token"}
	if fmt.Sprint(res.Created) != fmt.Sprint(want) || len(res.Reused)+len(res.Revoked) != 0 {
		t.Errorf("first run: created %v reused %v revoked %v", res.Created, res.Reused, res.Revoked)
	}
	if !strings.HasPrefix(tok1.token, "legacy-token-stork-dr-") || string(tok1.caData) != "cluster-ca" {
		t.Errorf("token %q ca %q", tok1.token, tok1.caData)
	}
	crb, err := c.RbacV1().ClusterRoleBindings().Get(ctx, o.bindingName(), metav1.GetOptions{})
	if err != nil || crb.RoleRef.Name != "cluster-admin" || crb.Subjects[0].Name != "stork-dr" || crb.Subjects[0].Namespace != "kube-system" {
		t.Errorf("binding %+v %v", crb, err)
	}

	c.ClearActions()
	tok2, res, err := provisionServiceAccount(ctx, c, o, false)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.token != tok1.token || len(res.Created)+len(res.Revoked) != 0 || len(res.Reused) != 3 {
		t.Errorf("rerun: same token %v, created %v reused %v revoked %v", tok2.token == tok1.token, res.Created, res.Reused, res.Revoked)
	}
	if got := c.creates(); len(got) != 0 {
		t.Errorf("rerun changed the cluster: %v", got)
	}

	c.ClearActions()
	tok3, res, err := provisionServiceAccount(ctx, c, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if tok3.token == tok1.token {
		t.Error("--force kept the token")
	}
	if fmt.Sprint(c.creates()) != "[delete secrets create secrets]" {
		t.Errorf("--force did %v, want the Secret deleted and created", c.creates())
	}
	if len(res.Revoked) != 1 || !strings.Contains(res.Revoked[0], "Secret kube-system/stork-dr-token") {
		t.Errorf("revoked %v", res.Revoked)
	}
	for _, s := range append(append(res.Created, res.Reused...), append(res.Revoked, res.Token)...) {
		for _, tok := range []string{tok1.token, tok3.token} {
			if strings.Contains(s, tok) {
				t.Errorf("result %q holds a token", s)
			}
		}
	}
}

// TestProvisionTokenRequest issues a bound token with the duration asked;
// --force replaces the Secret it is bound to.
func TestProvisionTokenRequest(t *testing.T) {
	c := newFakeCluster(t, false, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt", Namespace: "kube-system"}, Data: map[string]string{"ca.crt": "root-ca"}})
	o := saOptions(c)
	o.TokenDuration = 720 * time.Hour
	tok, res, err := provisionServiceAccount(context.Background(), c, o, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.token, "bound-token-") || string(tok.caData) != "root-ca" {
		t.Errorf("token %q ca %q", tok.token, tok.caData)
	}
	if !res.Expires.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) || !strings.Contains(res.Token, "expires 2030-01-02T03:04:05Z") {
		t.Errorf("expiry %v, %q", res.Expires, res.Token)
	}
	var req *authenticationv1.TokenRequest
	for _, a := range c.Actions() {
		if a.GetSubresource() == "token" {
			req = a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenRequest)
		}
	}
	if req == nil || *req.Spec.ExpirationSeconds != 720*3600 || req.Spec.BoundObjectRef == nil ||
		req.Spec.BoundObjectRef.Kind != "Secret" || req.Spec.BoundObjectRef.Name != "stork-dr-token-binding" || req.Spec.BoundObjectRef.UID == "" {
		t.Errorf("token request %+v", req)
	}
	c.ClearActions()
	if _, _, err := provisionServiceAccount(context.Background(), c, o, true); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.creates()); got != "[delete secrets create secrets create serviceaccounts/token]" {
		t.Errorf("--force did %s", got)
	}
}

// TestProvisionRefuses: objects of the same name that are not what new
// would create are never taken over silently.
func TestProvisionRefuses(t *testing.T) {
	otherBinding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "clusterpair-fn:kube-system:stork-dr"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "stork-dr", Namespace: "kube-system"}},
	}
	cases := []struct {
		name            string
		objects         []runtime.Object
		tokenController bool
		force           bool
		want            string
	}{
		{name: "binding to another role", objects: []runtime.Object{otherBinding}, tokenController: true,
			want: `ClusterRoleBinding clusterpair-fn:kube-system:stork-dr exists but binds ClusterRole "view"`},
		{name: "opaque Secret of the same name", tokenController: true, objects: []runtime.Object{&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token", Namespace: "kube-system"}, Type: corev1.SecretTypeOpaque}},
			want: `Secret kube-system/stork-dr-token exists with type "Opaque"`},
		{name: "token Secret of another ServiceAccount", tokenController: true, force: true, objects: []runtime.Object{&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token", Namespace: "kube-system", Annotations: map[string]string{corev1.ServiceAccountNameKey: "admin"}},
			Type:       corev1.SecretTypeServiceAccountToken}},
			want: `holds the token of ServiceAccount "admin"`},
		{name: "no token controller", tokenController: false,
			want: "has no token after 1s: is kube-controller-manager's token controller running"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeCluster(t, tc.tokenController, tc.objects...)
			_, _, err := provisionServiceAccount(context.Background(), c, saOptions(c), tc.force)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("binding to another role with --force is replaced", func(t *testing.T) {
		c := newFakeCluster(t, true, otherBinding)
		_, res, err := provisionServiceAccount(context.Background(), c, saOptions(c), true)
		if err != nil {
			t.Fatal(err)
		}
		crb, _ := c.RbacV1().ClusterRoleBindings().Get(context.Background(), "clusterpair-fn:kube-system:stork-dr", metav1.GetOptions{})
		if crb.RoleRef.Name != "cluster-admin" || len(res.Revoked) != 1 || !strings.Contains(res.Revoked[0], "to ClusterRole view") {
			t.Errorf("role %q, revoked %v", crb.RoleRef.Name, res.Revoked)
		}
	})
}

func TestServiceAccountOptionsAreChecked(t *testing.T) {
	cases := []struct {
		o    ServiceAccountOptions
		want string
	}{
		{ServiceAccountOptions{Name: "Stork_DR"}, `--service-account "Stork_DR" is not a valid ServiceAccount name`},
		{ServiceAccountOptions{Name: "x", Namespace: "kube.system"}, `--service-account-namespace "kube.system" is not a valid namespace`},
		{ServiceAccountOptions{Name: "x", ClusterRole: "a/b"}, `--cluster-role "a/b" is not a valid ClusterRole name`},
		{ServiceAccountOptions{Name: "x", TokenDuration: time.Minute}, "--token-duration 1m0s: the TokenRequest API issues tokens of at least 10m0s"},
		{ServiceAccountOptions{Name: "x", TokenDuration: time.Hour + time.Millisecond}, "--token-duration 1h0m0.001s: use whole seconds"},
	}
	for _, c := range cases {
		if _, err := c.o.withDefaults(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.o, err, c.want)
		}
	}
}

// TestServiceAccountPlan is what --dry-run prints: the objects, in order,
// deterministic, with the defaults.
func TestServiceAccountPlan(t *testing.T) {
	secret, err := ServiceAccountPlan(ServiceAccountOptions{Name: "stork-dr"})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ServiceAccountPlan(ServiceAccountOptions{Name: "stork-dr"})
	if !bytes.Equal(secret, again) {
		t.Error("the plan is not deterministic")
	}
	testenv.CompareGolden(t, filepath.Join("testdata", "serviceaccount-plan.yaml"), string(secret))
	bound, err := ServiceAccountPlan(ServiceAccountOptions{Name: "stork-dr", Namespace: "dr", ClusterRole: "stork-destination", TokenDuration: 8760 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	testenv.CompareGolden(t, filepath.Join("testdata", "serviceaccount-plan-token-duration.yaml"), string(bound))
	if _, err := ServiceAccountPlan(ServiceAccountOptions{}); err == nil {
		t.Error("a plan without --service-account")
	}
}

// TestNewWithServiceAccount writes the ServiceAccount's token and the
// cluster's CA only: none of the operator's credentials.
func TestNewWithServiceAccount(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	for _, ctxName := range []string{"west", "exec"} {
		t.Run(ctxName, func(t *testing.T) {
			c := newFakeCluster(t, true)
			dir := filepath.Join(t.TempDir(), "pair")
			o := options(t, f, dir)
			o.Context = ctxName
			o.ServiceAccount = ServiceAccountOptions{Name: "stork-dr", Client: c, Wait: time.Second}
			res, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			if res.ServiceAccount == nil || res.Auth != "ServiceAccount kube-system/stork-dr token" || res.User != "stork-dr" {
				t.Errorf("result %+v", res)
			}
			for _, w := range res.Warnings {
				if strings.Contains(w.Message, "exec") {
					t.Errorf("warning about the operator's exec plugin: %s", w.Message)
				}
			}
			kc := decrypt(t, filepath.Join(dir, KubeconfigFile))
			cfg := mustLoad(t, kc)
			u := cfg.AuthInfos["stork-dr"]
			if len(cfg.AuthInfos) != 1 || u == nil || !strings.HasPrefix(u.Token, "legacy-token-stork-dr-") {
				t.Fatalf("users %v", cfg.AuthInfos)
			}
			if u.Exec != nil || u.AuthProvider != nil || len(u.ClientCertificateData) > 0 || u.Username != "" {
				t.Errorf("an operator credential reached the kubeconfig:\n%s", kc)
			}
			cl := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]
			if !bytes.Equal(cl.CertificateAuthorityData, f.ca.CertPEM) || cl.Server == "" {
				t.Errorf("cluster %+v", cl)
			}
			assertNoSecrets(t, dir, f.secrets)
		})
	}
}

// TestNewWithServiceAccountCA: a kubeconfig without CA data (here
// insecure-skip-tls-verify) gets the CA the cluster gives its service
// accounts, never insecure-skip-tls-verify; without any CA, nothing is written.
func TestNewWithServiceAccountCA(t *testing.T) {
	testenv.UseDemoKey(t)
	f := newFixture(t)
	c := newFakeCluster(t, true)
	c.caPEM = f.ca.CertPEM
	dir := filepath.Join(t.TempDir(), "pair")
	o := options(t, f, dir)
	o.Context = "insecure"
	o.ServiceAccount = ServiceAccountOptions{Name: "stork-dr", Client: c, Wait: time.Second}
	if _, err := New(o); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, decrypt(t, filepath.Join(dir, KubeconfigFile)))
	cl := cfg.Clusters["insecure"]
	if !bytes.Equal(cl.CertificateAuthorityData, f.ca.CertPEM) || cl.InsecureSkipTLSVerify {
		t.Errorf("cluster %+v", cl)
	}

	dir = filepath.Join(t.TempDir(), "pair")
	o = options(t, f, dir)
	o.Context = "insecure"
	o.ServiceAccount = ServiceAccountOptions{Name: "stork-dr", Client: newFakeCluster(t, false), TokenDuration: time.Hour}
	_, err := New(o)
	if err == nil || !strings.Contains(err.Error(), "has a CA certificate to write") {
		t.Fatalf("error %v", err)
	}
	if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
		t.Error("files were written")
	}
}
