// Package testsops gives tests the SOPS implementation of the build they
// run in: package sopsfull by default, package sopslean with -tags lean,
// chosen by import exactly as cmd/clusterpair-fn chooses it. Tests of
// packages that take an injected secrets.Decryptor or secrets.Encryptor
// (pkg/fn, pkg/check, pkg/author, test/e2e...) use it, so that
// `go test -tags lean ./...` exercises the lean implementation.
package testsops
