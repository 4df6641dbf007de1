package author

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// ServiceAccountResult says what `new --service-account` did on the
// destination. It holds no credential.
type ServiceAccountResult struct {
	// Namespace, Name and ClusterRole of the ServiceAccount and its binding.
	Namespace, Name, ClusterRole string
	// Created, Reused and Revoked name objects ("Secret kube-system/x-token-7k2pq").
	Created, Reused, Revoked []string
	// Token says where the token comes from and until when it is valid.
	Token string
	// Expires is the token's expiry; zero for a Secret's token, which does
	// not expire.
	Expires time.Time
}

// saToken is what provisionServiceAccount returns: the token and the CA the
// cluster hands to its service accounts.
type saToken struct {
	token  string
	caData []byte
}

// provisionServiceAccount creates, or reuses when it exists as asked, the
// ServiceAccount, its ClusterRoleBinding and its token. With force it
// rotates: a new token Secret (or Secret TokenRequest tokens are bound to)
// is created under a new name, and once the new token exists every earlier
// one is deleted, which revokes every token issued from it; a binding to
// another role is replaced. Errors name the object, never a token.
func provisionServiceAccount(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, force bool) (*saToken, *ServiceAccountResult, error) {
	res := &ServiceAccountResult{Namespace: o.Namespace, Name: o.Name, ClusterRole: o.ClusterRole}
	sa, err := ensureServiceAccount(ctx, c, o, res)
	if err != nil {
		return nil, nil, err
	}
	if err := ensureBinding(ctx, c, o, force, res); err != nil {
		return nil, nil, err
	}
	secret, revoke, err := ensureSecret(ctx, c, o, sa, force, res)
	if err != nil {
		return nil, nil, err
	}
	var tok *saToken
	if o.TokenDuration != 0 {
		tok, err = requestToken(ctx, c, o, secret, res)
	} else {
		tok, err = secretToken(ctx, c, o, secret, res)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := revokeSecrets(ctx, c, o, secret, tok, revoke, res); err != nil {
		return nil, nil, err
	}
	return tok, res, nil
}

func ensureServiceAccount(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, res *ServiceAccountResult) (*corev1.ServiceAccount, error) {
	ref := fmt.Sprintf("ServiceAccount %s/%s", o.Namespace, o.Name)
	sa, err := c.CoreV1().ServiceAccounts(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
	if err == nil {
		res.Reused = append(res.Reused, ref)
		return sa, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	sa, err = c.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o.serviceAccount(), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", ref, err)
	}
	res.Created = append(res.Created, ref)
	return sa, nil
}

// ensureBinding creates the ClusterRoleBinding, or reuses it when it binds
// the role to the ServiceAccount; a binding of the same name to another
// role or subject is replaced with force (its roleRef is immutable), an
// error without.
func ensureBinding(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, force bool, res *ServiceAccountResult) error {
	want := o.clusterRoleBinding()
	ref := "ClusterRoleBinding " + want.Name
	crbs := c.RbacV1().ClusterRoleBindings()
	got, err := crbs.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading %s: %w", ref, err)
	case got.RoleRef == want.RoleRef && slices.Contains(got.Subjects, want.Subjects[0]):
		res.Reused = append(res.Reused, ref)
		return nil
	case !force:
		return fmt.Errorf("%s exists but binds ClusterRole %q to other subjects than ServiceAccount %s/%s or to another role than %q: rerun with --force to replace it",
			ref, got.RoleRef.Name, o.Namespace, o.Name, o.ClusterRole)
	default:
		uid := got.UID
		if err := crbs.Delete(ctx, want.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("replacing %s: %w", ref, err)
		}
		res.Revoked = append(res.Revoked, ref+" (to ClusterRole "+got.RoleRef.Name+")")
	}
	if _, err := crbs.Create(ctx, want, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating %s: %w", ref, err)
	}
	res.Created = append(res.Created, ref)
	return nil
}

// revocation is an earlier Secret to delete once the new token exists,
// and why.
type revocation struct {
	secret *corev1.Secret
	why    string
}

// ensureSecret returns the Secret the token comes from (or is bound to):
// the newest current one of this ServiceAccount, or without one, or with
// force, a new one under a generated name. It also returns the Secrets to
// delete once the new token exists: with force every earlier one (of
// either kind), without force those that cannot serve (they belonged to an
// earlier ServiceAccount of the same name, or the API server marked their
// token invalid). Secrets that are not this ServiceAccount's token Secrets
// made by new are never reused or deleted, whatever their names.
func ensureSecret(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, sa *corev1.ServiceAccount, force bool, res *ServiceAccountResult) (*corev1.Secret, []revocation, error) {
	found, err := findTokenSecrets(ctx, c, o)
	if err != nil {
		return nil, nil, err
	}
	var current *corev1.Secret
	var revoke []revocation
	for _, f := range found {
		stale := staleFor(f.secret, sa)
		switch {
		case f.kind != o.tokenKind():
			if force {
				revoke = append(revoke, revocation{f.secret, revokedWhy(f.kind)})
			}
		case stale != "":
			revoke = append(revoke, revocation{f.secret, stale})
		case force:
			revoke = append(revoke, revocation{f.secret, revokedWhy(f.kind)})
		case current == nil:
			current = f.secret
		}
	}
	if current != nil {
		res.Reused = append(res.Reused, secretRef(current))
		return current, revoke, nil
	}
	created, err := c.CoreV1().Secrets(o.Namespace).Create(ctx, o.secret(), metav1.CreateOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("creating a Secret %s/%s...: %w", o.Namespace, o.secretPrefix(), err)
	}
	res.Created = append(res.Created, secretRef(created))
	return created, revoke, nil
}

// revokedWhy says what deleting a token Secret of the kind does (the API
// server caches a successful token authentication for 10 seconds).
func revokedWhy(kind string) string {
	if kind == tokenBinding {
		return "every token bound to it stops authenticating within about 10 seconds"
	}
	return "its token stops authenticating within about 10 seconds"
}

func secretRef(s *corev1.Secret) string { return fmt.Sprintf("Secret %s/%s", s.Namespace, s.Name) }

// tokenSecretFound is one of the ServiceAccount's token Secrets and its
// kind (tokenSecret or tokenBinding).
type tokenSecretFound struct {
	secret *corev1.Secret
	kind   string
}

// findTokenSecrets lists the ServiceAccount's token Secrets made by new,
// newest first: those with new's labels and annotation, and those of the
// fixed names of earlier releases (a kubernetes.io/service-account-token
// Secret of the ServiceAccount; an Opaque binding Secret with new's
// managed-by label). Anything else is not ours.
func findTokenSecrets(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions) ([]tokenSecretFound, error) {
	secrets := c.CoreV1().Secrets(o.Namespace)
	list, err := secrets.List(ctx, metav1.ListOptions{LabelSelector: v1alpha1.ManagedByLabel + "=" + v1alpha1.ManagedByValue + "," + tokenLabel})
	if err != nil {
		return nil, fmt.Errorf("listing the token Secrets of ServiceAccount %s/%s: %w", o.Namespace, o.Name, err)
	}
	var out []tokenSecretFound
	seen := map[types.UID]bool{}
	add := func(s *corev1.Secret, kind string) {
		if ours(s, kind, o.Name) && !seen[s.UID] {
			seen[s.UID] = true
			out = append(out, tokenSecretFound{s, kind})
		}
	}
	for i := range list.Items {
		s := &list.Items[i]
		if s.Annotations[serviceAccountAnnotation] == o.Name {
			add(s, s.Labels[tokenLabel])
		}
	}
	for name, kind := range o.legacySecretNames() {
		s, err := secrets.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("reading Secret %s/%s: %w", o.Namespace, name, err)
		case kind == tokenBinding && s.Labels[v1alpha1.ManagedByLabel] != v1alpha1.ManagedByValue:
		default:
			add(s, kind)
		}
	}
	slices.SortFunc(out, func(a, b tokenSecretFound) int {
		if c := b.secret.CreationTimestamp.Compare(a.secret.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.secret.Name, b.secret.Name)
	})
	return out, nil
}

// ours reports whether s is a token Secret of ServiceAccount name of the
// kind: a kubernetes.io/service-account-token Secret the token controller
// fills for it, or an Opaque Secret tokens are bound to.
func ours(s *corev1.Secret, kind, name string) bool {
	switch kind {
	case tokenSecret:
		return s.Type == corev1.SecretTypeServiceAccountToken && s.Annotations[corev1.ServiceAccountNameKey] == name
	case tokenBinding:
		return s.Type == corev1.SecretTypeOpaque
	}
	return false
}

// staleFor says why a token Secret cannot be reused ("" when it can): it
// was filled for another ServiceAccount UID, or the API server no longer
// accepts its token.
func staleFor(s *corev1.Secret, sa *corev1.ServiceAccount) string {
	if s.Type != corev1.SecretTypeServiceAccountToken {
		return ""
	}
	if uid := s.Annotations[corev1.ServiceAccountUIDKey]; uid != "" && types.UID(uid) != sa.UID {
		return "it belonged to an earlier ServiceAccount of the same name"
	}
	if since := s.Labels[invalidSinceLabel]; since != "" {
		return "the API server marked its token invalid (" + invalidSinceLabel + "=" + since + ")"
	}
	return ""
}

// revokeSecrets deletes the earlier Secrets once the new token exists (a
// failure before leaves them, and their tokens, as they were). A legacy
// token equal to one it would revoke is an error: that would not rotate.
func revokeSecrets(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, current *corev1.Secret, tok *saToken, revoke []revocation, res *ServiceAccountResult) error {
	for _, r := range revoke {
		if old := r.secret.Data[corev1.ServiceAccountTokenKey]; len(old) > 0 && string(old) == tok.token {
			return fmt.Errorf("the token of %s equals the one of %s, which was to be revoked: nothing was deleted", secretRef(current), secretRef(r.secret))
		}
	}
	for _, r := range revoke {
		uid := r.secret.UID
		err := c.CoreV1().Secrets(o.Namespace).Delete(ctx, r.secret.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s, which holds an earlier token: %w (the new token is in %s; rerun with --force)", secretRef(r.secret), err, secretRef(current))
		}
		res.Revoked = append(res.Revoked, secretRef(r.secret)+" ("+r.why+")")
	}
	return nil
}

// secretToken waits for the token Secret to hold its token and says where
// the token comes from.
func secretToken(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, s *corev1.Secret, res *ServiceAccountResult) (*saToken, error) {
	s, err := waitForToken(ctx, c, o, s)
	if err != nil {
		return nil, err
	}
	res.Token = fmt.Sprintf("%s (kubernetes.io/service-account-token, does not expire; revoke it by deleting the Secret)", secretRef(s))
	return &saToken{token: string(s.Data[corev1.ServiceAccountTokenKey]), caData: s.Data[corev1.ServiceAccountRootCAKey]}, nil
}

// waitForToken waits for the token controller (kube-controller-manager) to
// fill the Secret with a token for the ServiceAccount.
func waitForToken(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, s *corev1.Secret) (*corev1.Secret, error) {
	cur := s
	err := poll(ctx, o.Wait, func() (bool, error) {
		if len(cur.Data[corev1.ServiceAccountTokenKey]) > 0 {
			return true, nil
		}
		got, err := c.CoreV1().Secrets(o.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("reading Secret %s/%s: %w", o.Namespace, s.Name, err)
		}
		cur = got
		return len(cur.Data[corev1.ServiceAccountTokenKey]) > 0, nil
	}, fmt.Sprintf("Secret %s/%s has no token after %s: is kube-controller-manager's token controller running on the destination? Use --token-duration to request a token from the API server instead", o.Namespace, s.Name, o.Wait))
	return cur, err
}

// requestToken issues a TokenRequest token bound to the Secret: deleting the
// Secret revokes it before it expires.
func requestToken(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, bound *corev1.Secret, res *ServiceAccountResult) (*saToken, error) {
	tr, err := c.CoreV1().ServiceAccounts(o.Namespace).CreateToken(ctx, o.Name, o.tokenRequest(bound), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", o.Namespace, o.Name, err)
	}
	if tr.Status.Token == "" {
		return nil, fmt.Errorf("the TokenRequest for ServiceAccount %s/%s returned no token", o.Namespace, o.Name)
	}
	res.Expires = tr.Status.ExpirationTimestamp.UTC()
	res.Token = fmt.Sprintf("TokenRequest, expires %s, bound to Secret %s/%s (deleting it, or new --force, revokes it)",
		res.Expires.Format(time.RFC3339), o.Namespace, bound.Name)
	ca, err := c.CoreV1().ConfigMaps(o.Namespace).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
	var caData []byte
	if err == nil {
		caData = []byte(ca.Data["ca.crt"])
	}
	return &saToken{token: tr.Status.Token, caData: caData}, nil
}

// poll calls done every 250ms until it returns true or an error, or wait
// has passed (then the error says timeout).
func poll(ctx context.Context, wait time.Duration, done func() (bool, error), timeout string) error {
	deadline := time.Now().Add(wait)
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
