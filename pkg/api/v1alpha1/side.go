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
