// Package argosync holds the tests of what Argo CD's sync engine
// (gitops-engine v3.6.2) does with a ClusterPair by itself; cmd/argosync is
// the sync driver the GitOps end-to-end suite runs. It is its own module:
// gitops-engine v3.6.2 needs Go 1.27 (GOTOOLCHAIN=go1.27.3, this module
// only), and test/gitops/argocd moves independently.
package argosync
