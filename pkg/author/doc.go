// Package author creates a ready-to-commit pair directory from a live
// kubeconfig and a Portworx token: the ClusterPairRequest, the destination
// kubeconfig minified to one context and flattened (certificates inlined,
// LocationOfOrigin and extensions dropped) and SOPS-encrypted, the
// SOPS-encrypted token, and a kustomization that runs clusterpair-fn as a
// generator. With a reverse pair (Options.Reverse) the source cluster's
// kubeconfig and token are written the same way, and an object store's
// credentials (Options.ObjectStore) go into one SOPS-encrypted YAML file.
//
// Everything is checked before anything is written: the request is decoded,
// defaulted, validated and rendered in memory exactly as the function will
// render it, so an error means no file at all. Plaintext credentials exist
// only in memory: files are written encrypted, through a temporary file in
// the target directory that is renamed into place, and nothing secret is ever
// returned in an error or a finding.
package author
