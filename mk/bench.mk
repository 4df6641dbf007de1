# Performance: `make bench` builds the do-nothing fn-SDK function (the
# floor), the current binary and the lean prototype, times them side by side
# (one request, fleets of 10 to 5,000 requests, kustomize build against a
# trivial exec generator), runs the hot-path Go benchmarks and writes
# docs/benchmarks.md. Binaries and inputs stay in dist/bench so that single
# numbers can be reproduced by hand (see docs/benchmarks.md).
# BENCH_FLAGS passes options to the runner, e.g. BENCH_FLAGS='-runs 50'.
BENCH_FLAGS ?=

.PHONY: bench
bench: $(KUSTOMIZE) ## Benchmarks (whole process and hot paths); writes docs/benchmarks.md.
	$(GO) run ./hack/bench/compare $(BENCH_FLAGS)
