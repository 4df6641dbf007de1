// Package stork mirrors the Stork API objects that clusterpair-fn emits, in
// exactly the JSON shape Stork decodes.
//
// Stork (libopenstorage/stork) decodes ClusterPair.spec.config into the
// internal k8s.io/client-go/tools/clientcmd/api.Config of the client-go it
// vendors (v0.25), case-sensitively. Newer client-go releases changed the JSON
// tags of that internal type (interactiveMode instead of InteractiveMode,
// LocationOfOrigin hidden, preferences omitted when empty), so marshalling the
// Config of the client-go linked here would produce a shape Stork misreads.
// Config, Cluster, AuthInfo and friends below therefore pin the v0.25 wire
// shape; pkg/transform builds them from a clientcmd Config that clientcmd
// itself loaded, minified and validated.
package stork
