// Package e2e runs the real tools end to end: the clusterpair-fn binary
// under standalone kustomize (exec functions), kpt, and, with the build tag
// "container", the FROM-scratch image under kustomize container functions
// and kpt fn eval --image. Tools come from ./bin (make tools build); a
// missing tool fails the test.
package e2e
