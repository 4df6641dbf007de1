# Performance: `make bench` builds the do-nothing fn-SDK function (the
# floor) and both builds of the binary (lean and full), times them side by
# side (one request, fleets of 10 to 10,000 requests, kustomize build against
# a pair-only floor generator), runs the hot-path Go benchmarks and writes
# docs/benchmarks.md. Binaries and inputs stay in dist/bench so that single
# numbers can be reproduced by hand (see docs/benchmarks.md).
# It also times one pair through Argo CD's real argocd-cmp-server (the
# example's plugin against a `cat` plugin), so it builds the Argo CD tools
# binary first (argocd-tool, mk/gitops.mk): without it the runner fails.
# BENCH_FLAGS passes options to the runner, e.g. BENCH_FLAGS='-runs 50'.
BENCH_FLAGS ?=

.PHONY: bench bench-argocd
bench: $(KUSTOMIZE) argocd-tool ## Benchmarks (whole process, hot paths, Argo CD plugin); writes docs/benchmarks.md.
	$(GO) run ./hack/bench/compare -argocd $(ARGOCD_BIN) $(BENCH_FLAGS)

bench-argocd: $(KUSTOMIZE) argocd-tool ## Only the Argo CD plugin table of make bench, printed (docs/benchmarks.md untouched).
	$(GO) run ./hack/bench/compare -argocd $(ARGOCD_BIN) -only argocd $(BENCH_FLAGS)
