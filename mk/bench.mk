# Performance: `make bench` builds the do-nothing fn-SDK function (the
# floor) and both builds of the binary (lean and full), times them side by
# side (one request, fleets of 10 to 10,000 requests, kustomize build against
# a pair-only floor generator), runs the hot-path Go benchmarks and writes
# docs/benchmarks.md. Binaries and inputs stay in dist/bench so that single
# numbers can be reproduced by hand (see docs/benchmarks.md).
# BENCH_FLAGS passes options to the runner, e.g. BENCH_FLAGS='-runs 50'.
BENCH_FLAGS ?=

.PHONY: bench
bench: $(KUSTOMIZE) ## Benchmarks (whole process and hot paths); writes docs/benchmarks.md.
	$(GO) run ./hack/bench/compare $(BENCH_FLAGS)
