package v1alpha1

// Side is the cluster a render is for: the source cluster gets the pair
// that points at the destination; with spec.reverse, the destination
// cluster gets the pair that points back.
type Side string

const (
	// SideSource is the source cluster's side: the forward pair.
	SideSource Side = "source"
	// SideDestination is the destination cluster's side: the reverse pair.
	SideDestination Side = "destination"
)

// SideView is everything one side of a request needs, with the request
// fields it comes from for findings. It is the one place that knows which
// fields belong to which side.
type SideView struct {
	// Side is the side viewed.
	Side Side
	// Name is the name of the side's ClusterPair.
	Name string
	// Kubeconfig reaches the cluster the side's pair points at, from
	// KubeconfigField.
	Kubeconfig      KubeconfigSource
	KubeconfigField string
	// Storage is the Portworx endpoint of the cluster the pair points at
	// (nil for none), from StorageField.
	Storage      *Storage
	StorageField string
	// Output is how the side's objects are emitted (the zero Output when
	// the request sets none), from OutputField.
	Output      Output
	OutputField string
}

// Side returns the view of one side of the request, and false when the
// request has no such side (the destination side of a one-way request, or
// an unknown side).
func (r *ClusterPairRequest) Side(side Side) (SideView, bool) {
	spec := r.Spec
	v := SideView{
		Side:            side,
		Name:            r.Metadata.Name,
		Kubeconfig:      spec.Destination.Kubeconfig,
		KubeconfigField: "spec.destination.kubeconfig",
		Storage:         spec.Storage,
		StorageField:    "spec.storage",
		OutputField:     "spec.output",
	}
	if spec.Output != nil {
		v.Output = *spec.Output
	}
	switch side {
	case SideSource:
		return v, true
	case SideDestination:
		if spec.Reverse == nil {
			return SideView{}, false
		}
	default:
		return SideView{}, false
	}
	rev := spec.Reverse
	if rev.Name != "" {
		v.Name = rev.Name
	}
	v.Kubeconfig, v.KubeconfigField = rev.Kubeconfig, "spec.reverse.kubeconfig"
	v.Storage, v.StorageField = rev.Storage, "spec.reverse.storage"
	if rev.Output != nil {
		v.Output, v.OutputField = *rev.Output, "spec.reverse.output"
	}
	return v, true
}

// SecretUse says what a secret reference holds, for the renderer that
// consumes it.
type SecretUse string

// What a secret reference may hold.
const (
	UseKubeconfig        SecretUse = "kubeconfig"
	UseToken             SecretUse = "token"
	UseEncryptionKey     SecretUse = "objectStore.encryptionKey"
	UseS3AccessKeyID     SecretUse = "s3.accessKeyID"
	UseS3SecretAccessKey SecretUse = "s3.secretAccessKey"
	UseAzureAccountKey   SecretUse = "azure.accountKey"
	UseAzureClientSecret SecretUse = "azure.servicePrincipal.clientSecret"
	UseGoogleAccountKey  SecretUse = "google.accountKey"
)

// FieldRef is one secret reference of a request: the field that holds it
// (a finding about its file is on Field+".file"), the reference, and what
// it holds.
type FieldRef struct {
	Field string
	Ref   SecretRef
	Use   SecretUse
}

// SecretRefs lists the secret references one side of the request renders
// with, and nothing else (the other side's credentials may be encrypted to
// keys this renderer does not hold), in the order of the request: the
// kubeconfig, the token, the object store's credentials. It is nil when
// the request has no such side. Every reference a request can hold is the
// one side's or the other's: rekey walks both.
func (r *ClusterPairRequest) SecretRefs(side Side) []FieldRef {
	view, ok := r.Side(side)
	if !ok {
		return nil
	}
	out := []FieldRef{{Field: view.KubeconfigField, Ref: view.Kubeconfig.SecretRef, Use: UseKubeconfig}}
	if s := view.Storage; s != nil {
		out = append(out, FieldRef{Field: view.StorageField + ".token", Ref: s.Token, Use: UseToken})
	}
	o := r.Spec.ObjectStore
	if o == nil || o.Existing != "" {
		return out
	}
	add := func(field string, ref SecretRef, use SecretUse) {
		out = append(out, FieldRef{Field: "spec.objectStore." + field, Ref: ref, Use: use})
	}
	if o.EncryptionKey != nil {
		add("encryptionKey", *o.EncryptionKey, UseEncryptionKey)
	}
	switch {
	case o.S3 != nil:
		add("s3.accessKeyID", o.S3.AccessKeyID, UseS3AccessKeyID)
		add("s3.secretAccessKey", o.S3.SecretAccessKey, UseS3SecretAccessKey)
	case o.Azure != nil:
		add("azure.accountKey", o.Azure.AccountKey, UseAzureAccountKey)
		if sp := o.Azure.ServicePrincipal; sp != nil {
			add("azure.servicePrincipal.clientSecret", sp.ClientSecret, UseAzureClientSecret)
		}
	case o.Google != nil:
		add("google.accountKey", o.Google.AccountKey, UseGoogleAccountKey)
	}
	return out
}
