package v1alpha1

// Default fills in the defaults of omitted optional fields. It is idempotent.
func (r *ClusterPairRequest) Default() {
	if s := r.Spec.Storage; s != nil && s.Port == 0 {
		s.Port = DefaultPortworxPort
	}
}
