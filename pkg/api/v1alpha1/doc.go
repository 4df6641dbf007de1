// Package v1alpha1 holds the ClusterPairRequest API (group fn.clusterpair.dev,
// version v1alpha1): the declarative input of clusterpair-fn.
//
// A ClusterPairRequest names a Stork ClusterPair (metadata.name and
// metadata.namespace become the pair's) and points at the SOPS-encrypted files
// that hold the destination kubeconfig and the Portworx pairing token. It never
// holds a secret itself.
//
// The life of a request is Decode (strict: unknown fields are errors), Default,
// then Validate. docs/api.md is the user-facing reference for these types and is
// checked against them by a test.
package v1alpha1
