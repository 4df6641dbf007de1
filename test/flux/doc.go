// Package flux checks that the Flux example's SOPS files decrypt. Its
// health-check CEL expressions are evaluated by Flux's own code
// (fluxcd/pkg/runtime/cel) in test/gitops/flux, and the committed render is
// applied by Flux's packages in the GitOps suite (make e2e-gitops).
package flux
