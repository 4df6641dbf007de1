// Package flux proves examples/flux with Flux's own code: the CEL status
// evaluator of fluxcd/pkg/runtime (this package's tests) and, in
// cmd/fluxapply, the kustomize build of fluxcd/pkg/kustomize and the
// server-side apply and wait of fluxcd/pkg/ssa that kustomize-controller is
// made of. It is its own module so that the main go.mod does not pull Flux.
package flux
