package portworx

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// PX-Security's admin token, as storkctl reads it, and the annotations that
// name its Secret on the pair.
const (
	// AdminTokenSecret is the Secret storkctl looks for in every namespace.
	AdminTokenSecret = "px-admin-token" //nolint:gosec // G101: the name of a Secret, not a credential.
	// AdminTokenKey is the key of the token in that Secret.
	AdminTokenKey = "auth-token"
	// AnnotationAuthSecretNamespace and AnnotationAuthSecretName name that
	// Secret on the ClusterPair (storkctl adds them; CreatePair does not
	// read them).
	AnnotationAuthSecretNamespace = "openstorage.io/auth-secret-namespace"
	AnnotationAuthSecretName      = "openstorage.io/auth-secret-name"
)

// SecretRef names a Secret holding the auth token, for a cluster that keeps
// it elsewhere than px-admin-token.
type SecretRef struct {
	Namespace, Name string
	// Key defaults to AdminTokenKey.
	Key string
}

// AuthToken is a PX-Security token read from a Secret of the destination.
// Token is in memory only: never print it, never write it.
type AuthToken struct {
	// Namespace and Name are the Secret's.
	Namespace, Name string
	// Key is the Secret key the token was read from.
	Key string
	// Token is the bearer token.
	Token []byte
}

// Annotations are the pair's annotations naming the token's Secret, as
// storkctl writes them.
func (a *AuthToken) Annotations() map[string]string {
	return map[string]string{AnnotationAuthSecretNamespace: a.Namespace, AnnotationAuthSecretName: a.Name}
}

// Describe names the Secret and key, never the token.
func (a *AuthToken) Describe() string {
	return fmt.Sprintf("Secret %s/%s, key %s", a.Namespace, a.Name, a.Key)
}

// FindAuthToken reads the PX-Security token of the destination. With ref
// nil it does what storkctl's getPXAuthToken does: the Secret named
// px-admin-token in whichever namespace holds it, key auth-token; none
// means the cluster does not use PX-Security and gives (nil, nil). Unlike
// storkctl, it lists only Secrets of that name (a field selector, not every
// Secret of the cluster with its data) and refuses several in different
// namespaces instead of taking the first. With ref, that Secret must exist
// and hold the key. Errors name the Secret and key, never a value.
func FindAuthToken(ctx context.Context, client kubernetes.Interface, ref *SecretRef) (*AuthToken, error) {
	if ref != nil {
		key := ref.Key
		if key == "" {
			key = AdminTokenKey
		}
		s, err := client.CoreV1().Secrets(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("the destination has no Secret %s/%s", ref.Namespace, ref.Name)
			}
			return nil, fmt.Errorf("reading Secret %s/%s of the destination: %s", ref.Namespace, ref.Name, diag.RedactURLsIn(err.Error()))
		}
		return tokenFrom(s.Namespace, s.Name, key, s.Data)
	}
	list, err := client.CoreV1().Secrets(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", AdminTokenSecret).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("listing the Secrets named %s in every namespace of the destination: %s", AdminTokenSecret, diag.RedactURLsIn(err.Error()))
	}
	var found []int
	for i := range list.Items {
		if list.Items[i].Name == AdminTokenSecret { // also when a client ignores the field selector
			found = append(found, i)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		s := &list.Items[found[0]]
		return tokenFrom(s.Namespace, s.Name, AdminTokenKey, s.Data)
	}
	var names []string
	for _, i := range found {
		names = append(names, list.Items[i].Namespace+"/"+AdminTokenSecret)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("%d Secrets are named %s (%s); storkctl would take whichever the API server lists first: name the one Portworx uses", len(names), AdminTokenSecret, strings.Join(names, ", "))
}

func tokenFrom(ns, name, key string, data map[string][]byte) (*AuthToken, error) {
	v, ok := data[key]
	if !ok {
		return nil, fmt.Errorf("the destination's Secret %s/%s has no key %s (its keys: %s)", ns, name, key, diag.QuotedNames(data, "none"))
	}
	v = bytes.TrimRight(v, "\r\n")
	if len(v) == 0 {
		return nil, fmt.Errorf("the key %s of Secret %s/%s is empty", key, ns, name)
	}
	if bytes.ContainsAny(v, " \t\r\n") {
		return nil, fmt.Errorf("the key %s of Secret %s/%s holds whitespace: a token is one word", key, ns, name)
	}
	return &AuthToken{Namespace: ns, Name: name, Key: key, Token: bytes.Clone(v)}, nil
}

// isJWT is openstorage's pkg/auth IsJwtToken: the token parses as a JWT
// (three base64url segments, the first two JSON objects), signature
// unchecked. openstorage's client sends a JWT as "bearer TOKEN" and
// anything else as "Basic TOKEN".
func isJWT(tok []byte) bool {
	parts := bytes.Split(tok, []byte("."))
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts[:2] {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(string(p), "="))
		if err != nil {
			return false
		}
		var obj map[string]any
		if json.Unmarshal(raw, &obj) != nil {
			return false
		}
	}
	return true
}
