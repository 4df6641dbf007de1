# Adoption: self-contained tests, install, release.

.PHONY: test-clone
test-clone: build tools ## Run the example and internal tests from a fresh clone with no sibling directories.
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  git clone -q "$(CURDIR)" "$$tmp/clone" && cp -a $(BIN) "$$tmp/clone/bin" && \
	  cd "$$tmp/clone" && $(GO) test -count=1 ./examples/... ./internal/...
