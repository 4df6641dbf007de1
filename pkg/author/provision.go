package author

import (
	"context"
	"fmt"
	"slices"
	"time"

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
	// Created, Reused and Revoked name objects ("Secret kube-system/x-token").
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
// rotates: the token Secret (or the Secret TokenRequest tokens are bound to)
// is deleted, which revokes every token issued from it, and created anew; a
// binding to another role is replaced. Errors name the object, never a
// token.
func provisionServiceAccount(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, force bool) (*saToken, *ServiceAccountResult, error) {
	res := &ServiceAccountResult{Namespace: o.Namespace, Name: o.Name, ClusterRole: o.ClusterRole}
	sa, err := ensureServiceAccount(ctx, c, o, res)
	if err != nil {
		return nil, nil, err
	}
	if err := ensureBinding(ctx, c, o, force, res); err != nil {
		return nil, nil, err
	}
	secret, err := ensureSecret(ctx, c, o, sa, force, res)
	if err != nil {
		return nil, nil, err
	}
	if o.TokenDuration != 0 {
		tok, err := requestToken(ctx, c, o, secret, res)
		return tok, res, err
	}
	secret, err = waitForToken(ctx, c, o, secret)
	if err != nil {
		return nil, nil, err
	}
	res.Token = fmt.Sprintf("Secret %s/%s (kubernetes.io/service-account-token, does not expire; revoke it by deleting the Secret)", o.Namespace, secret.Name)
	return &saToken{token: string(secret.Data[corev1.ServiceAccountTokenKey]), caData: secret.Data[corev1.ServiceAccountRootCAKey]}, res, nil
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

// ensureSecret creates the Secret, reuses a current one, or with force
// deletes it first. A token Secret that belongs to another ServiceAccount,
// or to an earlier ServiceAccount of the same name (another UID), is never
// reused.
func ensureSecret(ctx context.Context, c kubernetes.Interface, o ServiceAccountOptions, sa *corev1.ServiceAccount, force bool, res *ServiceAccountResult) (*corev1.Secret, error) {
	want := o.secret()
	ref := fmt.Sprintf("Secret %s/%s", o.Namespace, want.Name)
	secrets := c.CoreV1().Secrets(o.Namespace)
	got, err := secrets.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	case got.Type != want.Type:
		return nil, fmt.Errorf("%s exists with type %q, not %q: it is not ours; delete it or choose another --service-account", ref, got.Type, want.Type)
	case o.TokenDuration == 0 && got.Annotations[corev1.ServiceAccountNameKey] != o.Name:
		return nil, fmt.Errorf("%s holds the token of ServiceAccount %q, not %q: delete it or choose another --service-account", ref, got.Annotations[corev1.ServiceAccountNameKey], o.Name)
	case !force && (o.TokenDuration != 0 || staleFor(got, sa) == ""):
		res.Reused = append(res.Reused, ref)
		return got, nil
	default:
		uid := got.UID
		if err := secrets.Delete(ctx, want.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("deleting %s: %w", ref, err)
		}
		why := "every token issued from it stops authenticating"
		if stale := staleFor(got, sa); stale != "" && !force {
			why = stale
		}
		res.Revoked = append(res.Revoked, ref+" ("+why+")")
		if err := waitGone(ctx, c, o.Namespace, want.Name, uid, o.Wait); err != nil {
			return nil, err
		}
	}
	created, err := secrets.Create(ctx, want, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", ref, err)
	}
	res.Created = append(res.Created, ref)
	return created, nil
}

// staleFor says why a token Secret filled for another ServiceAccount UID
// cannot be reused ("" when it can).
func staleFor(s *corev1.Secret, sa *corev1.ServiceAccount) string {
	if s.Type != corev1.SecretTypeServiceAccountToken {
		return ""
	}
	if uid := s.Annotations[corev1.ServiceAccountUIDKey]; uid != "" && types.UID(uid) != sa.UID {
		return "it belonged to an earlier ServiceAccount of the same name"
	}
	return ""
}

// waitGone waits until the deleted Secret is gone (it has no finalizers,
// but the delete of a still-referenced object may lag).
func waitGone(ctx context.Context, c kubernetes.Interface, ns, name string, uid types.UID, wait time.Duration) error {
	return poll(ctx, wait, func() (bool, error) {
		s, err := c.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading Secret %s/%s: %w", ns, name, err)
		}
		return s.UID != uid, nil
	}, fmt.Sprintf("Secret %s/%s still exists after it was deleted", ns, name))
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
