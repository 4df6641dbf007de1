// Package check is the pre-commit and CI gate behind `clusterpair-fn check`:
// it finds every ClusterPairRequest under some directories (Find, a cheap
// scan that decodes nothing) and renders each through the function's own
// render step (fn.Processor.RenderEach and RenderRequest), exactly as
// kustomize would run it, decoding it once for every side, so that what
// passes here renders the same in Argo CD or CI. It takes the typed
// outcome: the findings, and the rendered pair as it is before encoding
// and output encryption.
//
// With Live, it also does from the operator's machine what Stork's
// controller does from the source cluster: build a client from the rendered
// pair's spec.config and call GET /version on the destination; and it checks
// that the Portworx endpoint accepts a TCP connection (no token is sent).
// A spec.config whose user has an exec plugin or an auth-provider would run
// repository code here: its API server check is skipped unless AllowExec,
// and then runs in a child process with PluginEnv (see plugin.go).
//
// The destination is the repository's choice: no redirect is followed, and
// nothing it answers is reported but an HTTP status code with a fixed
// reason (see probeAPIServer).
//
// Reports name requests, fields, files, server URLs (scheme, host and port only) and
// Portworx hosts, never a decrypted value: the findings are the
// processor's, which never hold one, and the rendered credentials stay in
// unexported fields that are dropped once the live checks ran.
package check
