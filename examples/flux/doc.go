// Package flux holds no code: it is the Flux example (see README.md) and
// the tests that need only this repository, kept beside it as the Argo CD
// example's are: its SOPS files decrypt. Tests that need the engines' own
// modules live in test/gitops (their own modules): Flux's CEL code evaluates
// the health-check expressions in test/gitops/flux, and Flux's packages
// apply the committed render in the GitOps suite (make e2e-gitops).
package flux
