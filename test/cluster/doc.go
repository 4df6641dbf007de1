// Package cluster is the end-to-end suite against real Kubernetes API
// servers (build tag "cluster"; run it with `make e2e`).
//
// It starts two kube-apiservers ("source" and "destination"), each with its
// own etcd, on free loopback ports with certificates generated at test time,
// client-certificate authentication and RBAC. It renders ClusterPairs with the
// real kustomize and clusterpair-fn from SOPS files encrypted by the sops CLI
// to a throwaway age key, applies them to the source server with server-side
// apply, reads them back, decodes them as Stork does and runs Stork's
// scheduler pairing (build a client from spec.config, GET /version on the
// destination), then server-side dry-runs every example manifest against the
// real CRDs. It then installs examples/admission and checks which ClusterPair
// updates the policy refuses, and checks its model of Stork's controller
// (storkmodel_test.go, a test double following the Stork contract) that the
// GitOps suite (build tag gitops) pairs with while Flux's and Argo CD's own
// apply code recreate pairs whose options changed. All processes are killed
// when the test ends, pass or fail.
//
// The tools come from the environment `make e2e` prepares: KUBE_APISERVER
// (built by hack/build-kube-apiserver.sh), ETCD (hack/ensure-etcd.sh), and
// kustomize, sops and clusterpair-fn in ./bin. A missing tool fails the suite.
package cluster
