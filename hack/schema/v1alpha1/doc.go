// Package v1alpha1 exists for controller-gen only (make schema): it wraps
// the spec of pkg/api/v1alpha1's ClusterPairRequest in the root object
// shape controller-gen recognises (embedded TypeMeta and ObjectMeta), so
// that schema/ is derived from the real Go types. Nothing imports it.
//
// +groupName=fn.clusterpair.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// ClusterPairRequest asks clusterpair-fn to render one Stork ClusterPair.
// Its fields are pkg/api/v1alpha1's; see docs/api.md.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=clusterpairrequests,scope=Namespaced
type ClusterPairRequest struct {
	metav1.TypeMeta `json:",inline"`
	// Metadata: name and namespace become the ClusterPair's.
	metav1.ObjectMeta `json:"metadata"`
	// Spec describes the pair.
	Spec api.ClusterPairRequestSpec `json:"spec"`
}
