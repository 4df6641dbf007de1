// Package flux checks the Flux example: its health-check CEL expressions are
// evaluated the way kustomize-controller evaluates them (same CEL environment,
// parse without type-check, inProgress → failed → current, default in
// progress).
package flux
