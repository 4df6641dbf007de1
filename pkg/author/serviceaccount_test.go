package author

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// fakeCluster is a fake clientset whose "token controller" fills every
// kubernetes.io/service-account-token Secret on create (unless
// tokenController is off), and whose TokenRequest API issues numbered
// tokens. Like the real controller with an RSA signing key, its legacy
// tokens are a function of their claims only (namespace, the Secret's name,
// the ServiceAccount's name and UID): a Secret recreated under the same name
// gets the same token. Names from generateName and creation times increase.
type fakeCluster struct {
	*fake.Clientset
	issued          atomic.Int64
	caPEM           []byte // the token Secrets' ca.crt
	tokenController bool
}

// fakeEpoch is the creation time of the first object the fake creates.
var fakeEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newFakeCluster(t *testing.T, tokenController bool, objects ...runtime.Object) *fakeCluster {
	t.Helper()
	c := &fakeCluster{Clientset: fake.NewClientset(objects...), caPEM: []byte("cluster-ca"), tokenController: tokenController}
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
		n := c.issued.Add(1)
		if s.Name == "" && s.GenerateName != "" {
			s.Name = fmt.Sprintf("%sg%04d", s.GenerateName, n)
		}
		s.UID = types.UID(fmt.Sprintf("secret-uid-%d", n))
		s.CreationTimestamp = metav1.NewTime(fakeEpoch.Add(time.Duration(n) * time.Second))
		if c.tokenController && s.Type == corev1.SecretTypeServiceAccountToken {
			saName := s.Annotations[corev1.ServiceAccountNameKey]
			uid := "sa-uid-" + saName
			if s.Annotations == nil {
				s.Annotations = map[string]string{}
			}
			s.Annotations[corev1.ServiceAccountUIDKey] = uid
			s.Data = map[string][]byte{
				corev1.ServiceAccountTokenKey:  []byte(legacyToken(s.Namespace, s.Name, saName, uid)),
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

// legacyToken is the fake controller's token: its claims, nothing random.
func legacyToken(ns, secret, sa, uid string) string {
	return "legacy-token-" + sa + "-" + ns + "/" + secret + "/" + uid
}

// secrets returns the names of the Secrets in the namespace.
func (c *fakeCluster) secrets(t *testing.T, ns string) []string {
	t.Helper()
	list, err := c.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range list.Items {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return out
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

// secretWrites is creates for Secrets only.
func (c *fakeCluster) secretWrites() []string {
	var out []string
	for _, a := range c.creates() {
		if strings.HasSuffix(a, " secrets") {
			out = append(out, a)
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
// ServiceAccount, binding and a token Secret of a generated name; a rerun
// finds it by its labels, reuses it and changes nothing; --force creates a
// token Secret of another name, whose token differs (the fake's tokens, like
// RSA-signed ones, depend on the claims only), and deletes the old Secret
// only after that.
func TestProvisionIsIdempotentAndForceRotates(t *testing.T) {
	c := newFakeCluster(t, true)
	o := saOptions(c)
	ctx := context.Background()

	tok1, res, err := provisionServiceAccount(ctx, c, o, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 3 || res.Created[0] != "ServiceAccount kube-system/stork-dr" || res.Created[1] != "ClusterRoleBinding clusterpair-fn:kube-system:stork-dr" ||
		!strings.HasPrefix(res.Created[2], "Secret kube-system/stork-dr-token-") || len(res.Reused)+len(res.Revoked) != 0 {
		t.Fatalf("first run: created %v reused %v revoked %v", res.Created, res.Reused, res.Revoked)
	}
	first := strings.TrimPrefix(res.Created[2], "Secret kube-system/")
	if !strings.HasPrefix(tok1.token, "legacy-token-stork-dr-") || string(tok1.caData) != "cluster-ca" {
		t.Errorf("token %q ca %q", tok1.token, tok1.caData)
	}
	if res.Token != "Secret kube-system/"+first+" (kubernetes.io/service-account-token, does not expire; revoke it by deleting the Secret)" {
		t.Errorf("token source %q", res.Token)
	}
	sec, err := c.CoreV1().Secrets("kube-system").Get(ctx, first, metav1.GetOptions{})
	if err != nil || sec.Labels[tokenLabel] != tokenSecret || sec.Labels[v1alpha1.ManagedByLabel] != v1alpha1.ManagedByValue ||
		sec.Annotations[serviceAccountAnnotation] != "stork-dr" || sec.Annotations[corev1.ServiceAccountNameKey] != "stork-dr" {
		t.Errorf("token Secret %+v %v", sec, err)
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
	if tok2.token != tok1.token || len(res.Created)+len(res.Revoked) != 0 || fmt.Sprint(res.Reused) != fmt.Sprint([]string{"ServiceAccount kube-system/stork-dr", "ClusterRoleBinding clusterpair-fn:kube-system:stork-dr", "Secret kube-system/" + first}) {
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
	if got := fmt.Sprint(c.creates()); got != "[create secrets delete secrets]" {
		t.Errorf("--force did %s, want a new Secret created, then the old one deleted", got)
	}
	if len(res.Created) != 1 || !strings.HasPrefix(res.Created[0], "Secret kube-system/stork-dr-token-") || res.Created[0] == "Secret kube-system/"+first {
		t.Errorf("--force created %v", res.Created)
	}
	second := strings.TrimPrefix(res.Created[0], "Secret kube-system/")
	if fmt.Sprint(res.Revoked) != "[Secret kube-system/"+first+" (its token stops authenticating within about 10 seconds)]" {
		t.Errorf("revoked %v", res.Revoked)
	}
	if got := c.secrets(t, "kube-system"); fmt.Sprint(got) != "["+second+"]" {
		t.Errorf("Secrets after --force: %v", got)
	}
	for _, s := range append(append(res.Created, res.Reused...), append(res.Revoked, res.Token)...) {
		for _, tok := range []string{tok1.token, tok3.token} {
			if strings.Contains(s, tok) {
				t.Errorf("result %q holds a token", s)
			}
		}
	}

	// The rotated Secret is found again: a rerun reuses it.
	c.ClearActions()
	tok4, res, err := provisionServiceAccount(ctx, c, o, false)
	if err != nil {
		t.Fatal(err)
	}
	if tok4.token != tok3.token || len(res.Created)+len(res.Revoked) != 0 || len(c.creates()) != 0 {
		t.Errorf("rerun after --force: same token %v, created %v revoked %v, did %v", tok4.token == tok3.token, res.Created, res.Revoked, c.creates())
	}
}

// earlierRelease are the Secrets releases before generated names made: a
// filled kubernetes.io/service-account-token Secret stork-dr-token and a
// binding Secret stork-dr-token-binding, with the ServiceAccount.
func earlierRelease() []runtime.Object {
	const uid = "sa-uid-stork-dr"
	return []runtime.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "stork-dr", Namespace: "kube-system", UID: uid, Labels: managedLabels()}},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token", Namespace: "kube-system", UID: "old-token-uid", Labels: managedLabels(),
				Annotations: map[string]string{corev1.ServiceAccountNameKey: "stork-dr", corev1.ServiceAccountUIDKey: uid}},
			Type: corev1.SecretTypeServiceAccountToken,
			Data: map[string][]byte{corev1.ServiceAccountTokenKey: []byte(legacyToken("kube-system", "stork-dr-token", "stork-dr", uid)), corev1.ServiceAccountRootCAKey: []byte("cluster-ca")},
		},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token-binding", Namespace: "kube-system", UID: "old-binding-uid", Labels: managedLabels()}, Type: corev1.SecretTypeOpaque},
	}
}

// TestProvisionRotatesEarlierReleasesSecrets: the fixed-name Secrets of
// earlier releases are reused by a rerun and rotated away by --force (both
// kinds: --force revokes every earlier token Secret of the ServiceAccount).
func TestProvisionRotatesEarlierReleasesSecrets(t *testing.T) {
	ctx := context.Background()
	old := legacyToken("kube-system", "stork-dr-token", "stork-dr", "sa-uid-stork-dr")
	t.Run("reused", func(t *testing.T) {
		c := newFakeCluster(t, true, earlierRelease()...)
		tok, res, err := provisionServiceAccount(ctx, c, saOptions(c), false)
		if err != nil {
			t.Fatal(err)
		}
		if tok.token != old || len(res.Created) != 1 || !slices.Contains(res.Reused, "Secret kube-system/stork-dr-token") || len(res.Revoked) != 0 {
			t.Errorf("same token %v, created %v reused %v revoked %v", tok.token == old, res.Created, res.Reused, res.Revoked)
		}
		o := saOptions(c)
		o.TokenDuration = time.Hour
		_, res, err = provisionServiceAccount(ctx, c, o, false)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(res.Reused, "Secret kube-system/stork-dr-token-binding") || len(res.Revoked) != 0 {
			t.Errorf("--token-duration: reused %v revoked %v", res.Reused, res.Revoked)
		}
	})
	for _, duration := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("force, token-duration %s", duration), func(t *testing.T) {
			c := newFakeCluster(t, true, earlierRelease()...)
			o := saOptions(c)
			o.TokenDuration = duration
			tok, res, err := provisionServiceAccount(ctx, c, o, true)
			if err != nil {
				t.Fatal(err)
			}
			if tok.token == old {
				t.Fatal("--force kept the token of the earlier release's Secret")
			}
			want := []string{
				"Secret kube-system/stork-dr-token (its token stops authenticating within about 10 seconds)",
				"Secret kube-system/stork-dr-token-binding (every token bound to it stops authenticating within about 10 seconds)",
			}
			if got := slices.Sorted(slices.Values(res.Revoked)); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("revoked %v, want %v", got, want)
			}
			if got := c.secrets(t, "kube-system"); len(got) != 1 || "Secret kube-system/"+got[0] != res.Created[len(res.Created)-1] {
				t.Errorf("Secrets %v, created %v", got, res.Created)
			}
			if got := fmt.Sprint(c.secretWrites()); got != "[create secrets delete secrets delete secrets]" {
				t.Errorf("did %s, want the earlier Secrets deleted after the new one was created", got)
			}
		})
	}
}

// TestProvisionKeepsTheOldTokenUntilTheNewOneExists: when the new token
// never comes (no token controller), --force fails and the earlier Secret,
// with its token, is still there.
func TestProvisionKeepsTheOldTokenUntilTheNewOneExists(t *testing.T) {
	ctx := context.Background()
	c := newFakeCluster(t, true)
	o := saOptions(c)
	tok, res, err := provisionServiceAccount(ctx, c, o, false)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.TrimPrefix(res.Created[2], "Secret kube-system/")
	c.tokenController = false
	if _, _, err := provisionServiceAccount(ctx, c, o, true); err == nil || !strings.Contains(err.Error(), "has no token after 1s") {
		t.Fatalf("error %v", err)
	}
	s, err := c.CoreV1().Secrets("kube-system").Get(ctx, first, metav1.GetOptions{})
	if err != nil || string(s.Data[corev1.ServiceAccountTokenKey]) != tok.token {
		t.Errorf("the earlier token Secret is gone or changed: %v", err)
	}
}

// TestProvisionRevokesStaleSecrets: without --force, a token Secret that
// cannot serve (filled for an earlier ServiceAccount of the same name, or
// marked invalid by the legacy token cleaner) is replaced: a new one is
// created and the stale one deleted after.
func TestProvisionRevokesStaleSecrets(t *testing.T) {
	cases := []struct {
		name, uid string
		labels    map[string]string
		why       string
	}{
		{name: "earlier ServiceAccount", uid: "uid-of-a-deleted-sa", why: "it belonged to an earlier ServiceAccount of the same name"},
		{name: "marked invalid", uid: "sa-uid-stork-dr", labels: map[string]string{invalidSinceLabel: "2025-01-01"},
			why: "the API server marked its token invalid (kubernetes.io/legacy-token-invalid-since=2025-01-01)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			labels := managedLabels()
			labels[tokenLabel] = tokenSecret
			maps.Copy(labels, tc.labels)
			stale := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token-abcde", Namespace: "kube-system", UID: "stale-uid", Labels: labels,
					Annotations: map[string]string{serviceAccountAnnotation: "stork-dr", corev1.ServiceAccountNameKey: "stork-dr", corev1.ServiceAccountUIDKey: tc.uid}},
				Type: corev1.SecretTypeServiceAccountToken,
				Data: map[string][]byte{corev1.ServiceAccountTokenKey: []byte("stale-token")},
			}
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "stork-dr", Namespace: "kube-system", UID: "sa-uid-stork-dr"}}
			c := newFakeCluster(t, true, sa, stale)
			tok, res, err := provisionServiceAccount(context.Background(), c, saOptions(c), false)
			if err != nil {
				t.Fatal(err)
			}
			if tok.token == "stale-token" || fmt.Sprint(res.Revoked) != "[Secret kube-system/stork-dr-token-abcde ("+tc.why+")]" {
				t.Errorf("token reused %v, revoked %v", tok.token == "stale-token", res.Revoked)
			}
			if got := fmt.Sprint(c.secretWrites()); got != "[create secrets delete secrets]" {
				t.Errorf("did %s", got)
			}
		})
	}
}

// TestProvisionReusesTheNewest: of several current token Secrets (a
// --force that failed after creating one), a rerun reuses the newest and
// deletes none.
func TestProvisionReusesTheNewest(t *testing.T) {
	labels := managedLabels()
	labels[tokenLabel] = tokenSecret
	secret := func(name string, created time.Time) *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", UID: types.UID(name), Labels: labels, CreationTimestamp: metav1.NewTime(created),
				Annotations: map[string]string{serviceAccountAnnotation: "stork-dr", corev1.ServiceAccountNameKey: "stork-dr", corev1.ServiceAccountUIDKey: "sa-uid-stork-dr"}},
			Type: corev1.SecretTypeServiceAccountToken,
			Data: map[string][]byte{corev1.ServiceAccountTokenKey: []byte("token-of-" + name)},
		}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "stork-dr", Namespace: "kube-system", UID: "sa-uid-stork-dr"}}
	c := newFakeCluster(t, true, sa, secret("stork-dr-token-zzzzz", fakeEpoch), secret("stork-dr-token-aaaaa", fakeEpoch.Add(time.Minute)), secret("stork-dr-token-bbbbb", fakeEpoch))
	tok, res, err := provisionServiceAccount(context.Background(), c, saOptions(c), false)
	if err != nil {
		t.Fatal(err)
	}
	if tok.token != "token-of-stork-dr-token-aaaaa" || len(res.Revoked) != 0 || len(c.secretWrites()) != 0 {
		t.Errorf("token %q, revoked %v, did %v", tok.token, res.Revoked, c.secretWrites())
	}
}

// TestProvisionTokenRequest issues a bound token with the duration asked,
// bound to a Secret of a generated name; --force binds the next token to a
// new Secret and deletes the old one after.
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
	boundTo := func() *authenticationv1.BoundObjectReference {
		var req *authenticationv1.TokenRequest
		for _, a := range c.Actions() {
			if a.GetSubresource() == "token" {
				req = a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenRequest)
			}
		}
		if req == nil || *req.Spec.ExpirationSeconds != 720*3600 || req.Spec.BoundObjectRef == nil || req.Spec.BoundObjectRef.Kind != "Secret" || req.Spec.BoundObjectRef.UID == "" {
			t.Fatalf("token request %+v", req)
		}
		return req.Spec.BoundObjectRef
	}
	first := boundTo()
	if !strings.HasPrefix(first.Name, "stork-dr-token-binding-") || !strings.Contains(res.Token, "bound to Secret kube-system/"+first.Name) {
		t.Errorf("bound to %q; %q", first.Name, res.Token)
	}
	c.ClearActions()
	_, res, err = provisionServiceAccount(context.Background(), c, o, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.creates()); got != "[create secrets create serviceaccounts/token delete secrets]" {
		t.Errorf("--force did %s", got)
	}
	if second := boundTo(); second.Name == first.Name || fmt.Sprint(res.Revoked) != "[Secret kube-system/"+first.Name+" (every token bound to it stops authenticating within about 10 seconds)]" {
		t.Errorf("bound to %q, revoked %v", second.Name, res.Revoked)
	}
}

// TestProvisionRefuses: objects of the same name that are not what new
// would create are never taken over silently; Secrets that are not this
// ServiceAccount's token Secrets made by new are neither reused nor deleted.
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
	t.Run("other Secrets are left alone", func(t *testing.T) {
		labels := managedLabels()
		labels[tokenLabel] = tokenSecret
		foreign := []runtime.Object{
			// The earlier releases' names, not token Secrets of stork-dr.
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token", Namespace: "kube-system"}, Type: corev1.SecretTypeOpaque},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token-binding", Namespace: "kube-system"}, Type: corev1.SecretTypeOpaque},
			// new's labels, another ServiceAccount.
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "admin-token-abcde", Namespace: "kube-system", Labels: labels,
				Annotations: map[string]string{serviceAccountAnnotation: "admin", corev1.ServiceAccountNameKey: "admin"}}, Type: corev1.SecretTypeServiceAccountToken},
			// stork-dr's name in new's annotation, but a token of admin.
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token-fghij", Namespace: "kube-system", Labels: labels,
				Annotations: map[string]string{serviceAccountAnnotation: "stork-dr", corev1.ServiceAccountNameKey: "admin"}}, Type: corev1.SecretTypeServiceAccountToken},
			// A token of stork-dr in another namespace.
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "stork-dr-token", Namespace: "default", Labels: labels,
				Annotations: map[string]string{serviceAccountAnnotation: "stork-dr", corev1.ServiceAccountNameKey: "stork-dr"}}, Type: corev1.SecretTypeServiceAccountToken},
		}
		c := newFakeCluster(t, true, foreign...)
		for _, force := range []bool{false, true} {
			_, res, err := provisionServiceAccount(context.Background(), c, saOptions(c), force)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range append(res.Reused, res.Revoked...) {
				for _, name := range []string{"stork-dr-token ", "stork-dr-token-binding ", "admin-token-abcde", "stork-dr-token-fghij"} {
					if strings.Contains(r+" ", "Secret kube-system/"+name) {
						t.Errorf("--force=%v touched %s", force, r)
					}
				}
			}
		}
		if got := c.secrets(t, "kube-system"); len(got) != 5 || !slices.Contains(got, "stork-dr-token") || !slices.Contains(got, "stork-dr-token-binding") ||
			!slices.Contains(got, "admin-token-abcde") || !slices.Contains(got, "stork-dr-token-fghij") {
			t.Errorf("Secrets %v", got)
		}
		if got := c.secrets(t, "default"); len(got) != 1 {
			t.Errorf("Secrets in default %v", got)
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
	// The notes are YAML comments: every document still decodes, and the
	// Secret has a generated name only.
	for i, doc := range strings.Split(string(secret), "---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj["kind"] == nil {
			t.Errorf("document %d does not decode: %v", i, err)
		}
		if md, _ := obj["metadata"].(map[string]any); obj["kind"] == "Secret" && (md["name"] != nil || md["generateName"] != "stork-dr-token-") {
			t.Errorf("the Secret's metadata: %v", md)
		}
	}
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
