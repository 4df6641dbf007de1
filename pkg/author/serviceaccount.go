package author

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// Defaults of `new --service-account`.
const (
	// DefaultServiceAccountNamespace is where the ServiceAccount is created.
	DefaultServiceAccountNamespace = "kube-system"
	// DefaultClusterRole is the role the ServiceAccount is bound to, for
	// every mode. Stork's migration controller applies whatever a Migration
	// selects on the destination with this credential: namespaces, PVs and
	// PVCs, any built-in or custom resource, CustomResourceDefinitions, and
	// ClusterRoles/ClusterRoleBindings/Roles bound to the migrated service
	// accounts. The last ones alone need every permission they grant (or
	// the escalate and bind verbs), so no narrower fixed role can serve an
	// arbitrary Migration: cluster-admin is what it takes. sync-dr runs the
	// same migrations (resources only). See docs/service-account.md.
	DefaultClusterRole = "cluster-admin"
	// MinTokenDuration is the shortest token the TokenRequest API issues.
	MinTokenDuration = 10 * time.Minute
	// tokenLabel marks the token Secrets New creates (their names are
	// generated, see secret): tokenSecret for a
	// kubernetes.io/service-account-token Secret, tokenBinding for the
	// Secret TokenRequest tokens are bound to. serviceAccountAnnotation
	// names their ServiceAccount (a name may be longer than a label value).
	tokenLabel               = "fn.clusterpair.dev/token" //nolint:gosec // G101: a label key, not a credential.
	tokenSecret              = "secret"
	tokenBinding             = "binding"
	serviceAccountAnnotation = "fn.clusterpair.dev/service-account"
	// invalidSinceLabel is set by kube-controller-manager's
	// legacy-serviceaccount-token-cleaner on a token Secret unused for a
	// year: the API server rejects its token from then on.
	invalidSinceLabel = "kubernetes.io/legacy-token-invalid-since"
	// defaultTokenWait bounds the wait for the token controller.
	defaultTokenWait = 2 * time.Minute
)

// ServiceAccountOptions are the flags of `new --service-account`: instead
// of the operator's own credential, the pair gets a dedicated ServiceAccount
// on the destination with a long-lived (or --token-duration) token, the way
// `argocd cluster add` registers a cluster.
type ServiceAccountOptions struct {
	// Name of the ServiceAccount; "" keeps the operator's credential.
	Name string
	// Namespace of the ServiceAccount; default DefaultServiceAccountNamespace.
	Namespace string
	// ClusterRole the ServiceAccount is bound to; default DefaultClusterRole.
	ClusterRole string
	// TokenDuration, when set, issues a TokenRequest token of that lifetime
	// instead of a non-expiring kubernetes.io/service-account-token Secret.
	TokenDuration time.Duration
	// DryRun prints the objects (Plan) and neither contacts the cluster
	// nor writes anything.
	DryRun bool
	// Wait bounds the wait for the token controller to fill the Secret;
	// 0 means two minutes.
	Wait time.Duration
	// Client, when set, is used instead of a client built from the
	// operator's kubeconfig (tests).
	Client kubernetes.Interface
}

// enabled reports whether a ServiceAccount is to be provisioned.
func (o ServiceAccountOptions) enabled() bool { return o.Name != "" }

// withDefaults fills in the defaults and checks the names and duration.
func (o ServiceAccountOptions) withDefaults() (ServiceAccountOptions, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultServiceAccountNamespace
	}
	if o.ClusterRole == "" {
		o.ClusterRole = DefaultClusterRole
	}
	if o.Wait == 0 {
		o.Wait = defaultTokenWait
	}
	// The token Secret's name adds "-token-" or "-token-binding-" and a
	// generated suffix to the name (earlier releases: "-token" or
	// "-token-binding").
	if errs := validation.IsDNS1123Subdomain(o.Name + "-token-binding"); len(errs) > 0 {
		return o, fmt.Errorf("--service-account %q is not a valid ServiceAccount name: %s", o.Name, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return o, fmt.Errorf("--service-account-namespace %q is not a valid namespace: %s", o.Namespace, strings.Join(errs, "; "))
	}
	if strings.ContainsAny(o.ClusterRole, "/%") || o.ClusterRole == "." || o.ClusterRole == ".." {
		return o, fmt.Errorf("--cluster-role %q is not a valid ClusterRole name", o.ClusterRole)
	}
	if o.TokenDuration != 0 {
		if o.TokenDuration < MinTokenDuration {
			return o, fmt.Errorf("--token-duration %s: the TokenRequest API issues tokens of at least %s", o.TokenDuration, MinTokenDuration)
		}
		if o.TokenDuration%time.Second != 0 {
			return o, fmt.Errorf("--token-duration %s: use whole seconds", o.TokenDuration)
		}
	}
	return o, nil
}

// bindingName is the ClusterRoleBinding's name: one per ServiceAccount.
func (o ServiceAccountOptions) bindingName() string {
	return "clusterpair-fn:" + o.Namespace + ":" + o.Name
}

// tokenKind is the tokenLabel value of the Secret this run uses: a token
// Secret, or with TokenDuration the Secret the tokens are bound to.
func (o ServiceAccountOptions) tokenKind() string {
	if o.TokenDuration != 0 {
		return tokenBinding
	}
	return tokenSecret
}

// secretPrefix is the generateName of the token Secret (or, with
// TokenDuration, of the Secret the tokens are bound to, whose deletion
// revokes them). Each Secret gets a new name: a legacy token's claims are
// the namespace, the Secret's name and the ServiceAccount's name and UID,
// nothing else (no iat, exp or jti), so a Secret recreated under the same
// name gets the same claims, and with an RSA signing key (PKCS#1 v1.5,
// deterministic) the same token, which the API server accepts again.
func (o ServiceAccountOptions) secretPrefix() string {
	if o.TokenDuration != 0 {
		return o.Name + "-token-binding-"
	}
	return o.Name + "-token-"
}

// legacySecretNames are the fixed names earlier releases gave the token
// Secret and the binding Secret: still found, reused and rotated away.
func (o ServiceAccountOptions) legacySecretNames() map[string]string {
	return map[string]string{o.Name + "-token": tokenSecret, o.Name + "-token-binding": tokenBinding}
}

func managedLabels() map[string]string {
	return map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue}
}

func (o ServiceAccountOptions) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: managedLabels()},
	}
}

func (o ServiceAccountOptions) clusterRoleBinding() *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: o.bindingName(), Labels: managedLabels()},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: o.ClusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: o.Name, Namespace: o.Namespace}},
	}
}

// secret is the kubernetes.io/service-account-token Secret the token
// controller fills, or with TokenDuration the empty Secret tokens are bound
// to; its name is generated (secretPrefix), New finds it by its labels.
func (o ServiceAccountOptions) secret() *corev1.Secret {
	labels := managedLabels()
	labels[tokenLabel] = o.tokenKind()
	s := &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: o.secretPrefix(), Namespace: o.Namespace, Labels: labels,
			Annotations: map[string]string{serviceAccountAnnotation: o.Name}},
	}
	if o.TokenDuration != 0 {
		s.Type = corev1.SecretTypeOpaque
		return s
	}
	s.Type = corev1.SecretTypeServiceAccountToken
	s.Annotations[corev1.ServiceAccountNameKey] = o.Name
	return s
}

// tokenRequest is the TokenRequest for TokenDuration, bound to the Secret
// (its name and UID are filled in once the Secret exists).
func (o ServiceAccountOptions) tokenRequest(bound *corev1.Secret) *authenticationv1.TokenRequest {
	seconds := int64(o.TokenDuration / time.Second)
	ref := &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1"}
	if bound != nil {
		ref.Name, ref.UID = bound.Name, bound.UID
	}
	return &authenticationv1.TokenRequest{
		TypeMeta:   metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenRequest"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace},
		Spec:       authenticationv1.TokenRequestSpec{ExpirationSeconds: &seconds, BoundObjectRef: ref},
	}
}

// ServiceAccountPlan returns, as a YAML stream, the objects `new
// --service-account` would create on the destination (--dry-run): the
// ServiceAccount, the ClusterRoleBinding, the token Secret, and with
// TokenDuration the TokenRequest. It checks the names and contacts nothing.
func ServiceAccountPlan(o ServiceAccountOptions) ([]byte, error) {
	if !o.enabled() {
		return nil, errors.New("--dry-run prints the objects of --service-account: give --service-account NAME")
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	objects := []any{o.serviceAccount(), o.clusterRoleBinding(), o.secret()}
	if o.TokenDuration != 0 {
		objects = append(objects, o.tokenRequest(nil))
	}
	var b strings.Builder
	b.WriteString(o.planNotes())
	for i, obj := range objects {
		data, err := planYAML(obj)
		if err != nil {
			return nil, fmt.Errorf("printing the objects: %w", err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(data)
	}
	return []byte(b.String()), nil
}

// planNotes heads the plan: how the Secret is named and found again, and
// what a rerun and --force do with the token Secrets that exist.
func (o ServiceAccountOptions) planNotes() string {
	what, legacy, holds, rerun := "The token Secret", o.Name+"-token", "once it holds the new token", ""
	if o.TokenDuration != 0 {
		what, legacy, holds, rerun = "The Secret the TokenRequest token is bound to (boundObjectRef: its name and uid once it exists)",
			o.Name+"-token-binding", "once the new token is issued", " and another token is bound to it"
	}
	text := fmt.Sprintf("The objects `new --service-account %s` creates in namespace %s of the destination "+
		"(those that exist are reused). %s gets a generated name, %sXXXXX: new finds it again by its label %s=%s "+
		"and its annotation %s=%s. Without --force, the newest such Secret (or %s, made by earlier releases) is reused%s. "+
		"With --force, a new one is created and, %s, every earlier token Secret new made for the ServiceAccount "+
		"(of either kind) is deleted, which revokes their tokens.",
		o.Name, o.Namespace, what, o.secretPrefix(), tokenLabel, o.tokenKind(), serviceAccountAnnotation, o.Name, legacy, rerun, holds)
	var b strings.Builder
	line := "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 76 && line != "#" {
			b.WriteString(line + "\n")
			line = "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}

// planYAML marshals a typed object without the status and the empty
// creationTimestamp, which are not part of what is sent.
func planYAML(obj any) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	dropNulls(m)
	return yaml.Marshal(m)
}

// dropNulls removes the null fields (creationTimestamp, audiences...).
func dropNulls(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNulls(x)
		}
	}
}
