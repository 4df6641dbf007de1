# Adoption: self-contained tests, install, release.

.PHONY: test-clone
test-clone: build tools ## Run the example and internal tests from a fresh clone with no sibling directories.
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  git clone -q "$(CURDIR)" "$$tmp/clone" && cp -a $(BIN) "$$tmp/clone/bin" && \
	  cd "$$tmp/clone" && $(GO) test -count=1 ./examples/... ./internal/...

# Images: OCI labels and a versioned tag next to $(IMAGE) / $(ARGOCD_CMP_IMAGE).
SOURCE_URL ?= https://github.com/clusterpair-fn/clusterpair-fn
REVISION   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
# The SPDX identifier of LICENSE (a test keeps the two equal).
LICENSES   ?= Apache-2.0
IMAGE_LABELS = --label org.opencontainers.image.source=$(SOURCE_URL) \
  --label org.opencontainers.image.version=$(VERSION) \
  --label org.opencontainers.image.revision=$(REVISION) \
  --label org.opencontainers.image.licenses=$(LICENSES) \
  --label org.opencontainers.image.title=clusterpair-fn
# versioned turns NAME[:TAG] into NAME:$(VERSION) (the tag is what follows a
# ':' in the last path element, so a registry port is kept).
versioned = $(call _untagged,$(1),$(lastword $(subst /, ,$(1)))):$(VERSION)
_untagged = $(patsubst %$(2),%,$(1))$(firstword $(subst :, ,$(2)))

# Install: both builds into $(PREFIX)/bin.
PREFIX ?= /usr/local

.PHONY: install
install: build ## Install clusterpair-fn and clusterpair-fn-full into $PREFIX/bin (PREFIX=, default /usr/local).
	install -d "$(PREFIX)/bin"
	install -m 0755 $(FN) $(FN_FULL) "$(PREFIX)/bin/"
	@echo "Installed $(PREFIX)/bin/clusterpair-fn and clusterpair-fn-full $(VERSION); put $(PREFIX)/bin on PATH."

# test-install installs into a temporary PREFIX and runs what a new user
# runs first: both builds' --version, and every subcommand's --help with the
# lean build alone on PATH (it hands new/check to the full build, but their
# help is its own).
.PHONY: test-install
test-install: ## Check `make install` into a temporary PREFIX (both builds; lean help works alone).
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(MAKE) --no-print-directory install PREFIX="$$tmp/prefix" >/dev/null && \
	  test -x "$$tmp/prefix/bin/clusterpair-fn" && test -x "$$tmp/prefix/bin/clusterpair-fn-full" && \
	  "$$tmp/prefix/bin/clusterpair-fn-full" --version >/dev/null && \
	  mkdir "$$tmp/lean" && cp "$$tmp/prefix/bin/clusterpair-fn" "$$tmp/lean/" && \
	  for sub in "" new check rekey build completion; do \
	    env -i HOME="$$tmp" PATH="$$tmp/lean:/usr/bin:/bin" clusterpair-fn $$sub --help >"$$tmp/help" 2>&1 || \
	      { echo "test-install: clusterpair-fn $$sub --help failed with the lean build alone on PATH:"; cat "$$tmp/help"; exit 1; }; \
	    grep -q "Usage:" "$$tmp/help" || { echo "test-install: clusterpair-fn $$sub --help printed no usage"; cat "$$tmp/help"; exit 1; }; \
	  done && echo "test-install: PREFIX/bin holds both builds; every --help works with the lean build alone"

# Release: GoReleaser from the module proxy at a pinned version.
GORELEASER_VERSION ?= v2.15.1

.PHONY: release-snapshot
release-snapshot: ## Build the release archives, checksums and SBOMs locally into dist/ (GoReleaser --snapshot; slow).
	$(GO) run github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION) release --snapshot --clean --skip=publish

# Schema: the ClusterPairRequest OpenAPI schema from the Go types
# (controller-gen's CRD output), and the JSON Schema editors read.
CONTROLLER_GEN_VERSION := v0.23.0
CONTROLLER_GEN := $(BIN)/controller-gen

$(CONTROLLER_GEN):
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)

.PHONY: schema
schema: $(CONTROLLER_GEN) ## Regenerate schema/ from pkg/api/v1alpha1 (controller-gen CRD + JSON Schema).
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=./hack/schema/v1alpha1 output:crd:dir=schema
	$(GO) run ./hack/schema
