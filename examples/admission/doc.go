// Package admission holds no code: it is the ClusterPair admission policy
// example (see README.md) and the test that keeps its manifests what the
// README says. What the policy does is tested against a real kube-apiserver
// in test/cluster (TestCluster/admission, make e2e) and with the GitOps
// engines' own apply code in TestGitOps (make e2e-gitops), both of which
// install this directory as built by kustomize.
package admission
