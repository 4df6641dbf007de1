// Package transform renders Stork objects from a validated ClusterPairRequest
// and its already-resolved secrets. It is pure: no file, network or
// environment access, so the same inputs always give the same objects.
//
// Kubeconfig handling goes through client-go's clientcmd (load, context
// selection, minify, validation with the same NewNonInteractiveClientConfig
// call Stork's controller makes); the result is converted to the wire shape
// of pkg/stork.
//
// Findings never quote secret material: messages name users, clusters,
// contexts, fields and files only.
package transform
