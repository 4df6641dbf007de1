// Package argocd holds no code: it is the Argo CD example (see README.md
// and docs/argocd.md) and the tests that keep it working. They run the
// ClusterPair health script as Argo CD does, run the plugin's generate
// command on the example pairs, validate the Application, ApplicationSet
// and AppProject against Argo CD's CRD schemas and build the Components
// over a stand-in of Argo CD's install manifests.
package argocd
