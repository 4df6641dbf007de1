// Package hotpath holds the Go benchmarks of the function's hot paths:
// decoding the request, decrypting its files (the sops library against
// pkg/secrets/sopsfile), rendering, encoding, and the whole processor
// in-process. Run them with `make bench` or
//
//	go test -run '^$' -bench . ./hack/bench/hotpath
//
// Built with -tags lean (the lean build of cmd/clusterpair-fn), the
// processor's decryptor is pkg/secrets/sopsfile.
package hotpath
