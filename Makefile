# clusterpair-fn — everything a fresh machine needs is installed into ./bin.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

BIN        := $(CURDIR)/bin
GO         ?= go
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# A registry-qualified name: kpt prefixes bare names with its catalog registry.
IMAGE      ?= localhost/clusterpair-fn:dev
KUSTOMIZE_VERSION := v5.8.2
SOPS_VERSION      := v3.13.3
GOLANGCI_LINT_VERSION := v2.15.0
LDFLAGS    := -s -w -X main.version=$(VERSION)
export PATH := $(BIN):$(PATH)
export CGO_ENABLED := 0

KUSTOMIZE := $(BIN)/kustomize
SOPS      := $(BIN)/sops
FN        := $(BIN)/clusterpair-fn
FN_FULL   := $(BIN)/clusterpair-fn-full
# Two builds of one command: the lean one (what kustomize, kpt and Argo CD
# run) decrypts age/PGP files without linking the cloud KMS SDKs, has a
# clusterpair-fn-full co-process do the rest (KMS/Vault keys, encryption),
# and hands the commands new, check and rekey to the full one.
LEAN_TAGS := -tags lean

# Feature suites keep their targets in mk/*.mk.
include $(wildcard mk/*.mk)

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(KUSTOMIZE):
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(SOPS):
	GOBIN=$(BIN) $(GO) install github.com/getsops/sops/v3/cmd/sops@$(SOPS_VERSION)

AGE_KEYGEN := $(BIN)/age-keygen
$(AGE_KEYGEN):
	GOBIN=$(BIN) $(GO) install filippo.io/age/cmd/age-keygen@$$($(GO) list -m -f '{{.Version}}' filippo.io/age)

GOLANGCI_LINT := $(BIN)/golangci-lint
$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

.PHONY: tools
tools: $(KUSTOMIZE) $(SOPS) $(AGE_KEYGEN) ## Install kustomize, sops and age-keygen into ./bin.
	@command -v kpt >/dev/null || { echo "kpt is required on PATH (preinstalled on the machine image)" >&2; exit 1; }
	@command -v gpg >/dev/null || { echo "gpg is required on PATH for the PGP tests (apt-get install gnupg)" >&2; exit 1; }

.PHONY: build build-lean
build: build-lean ## Build the static binaries (lean clusterpair-fn and clusterpair-fn-full) into ./bin.
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(FN_FULL) ./cmd/clusterpair-fn

build-lean: ## Build only the lean clusterpair-fn (age/PGP, what kustomize runs) into ./bin.
	$(GO) build -trimpath $(LEAN_TAGS) -ldflags '$(LDFLAGS)' -o $(FN) ./cmd/clusterpair-fn

.PHONY: demo
demo: build-lean $(KUSTOMIZE) ## Render examples/kustomize with the demo-only age key (builds only the lean binary and kustomize).
	@env -u SOPS_AGE_KEY HOME=$$(mktemp -d) XDG_CONFIG_HOME=$$(mktemp -d) \
	  SOPS_AGE_KEY_FILE=$(CURDIR)/examples/demo.agekey \
	  $(KUSTOMIZE) build --enable-alpha-plugins --enable-exec examples/kustomize

.PHONY: lint
lint: $(GOLANGCI_LINT) ## gofmt, go vet, golangci-lint (.golangci.yml), and no committed binary.
	@./hack/check-no-binaries.sh
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...
	$(GOLANGCI_LINT) run --build-tags lean --tests=false ./pkg/... ./cmd/...

.PHONY: test
test: lint build tools ## Unit, golden and end-to-end tests (real kustomize, kpt, sops).
	$(GO) vet $(LEAN_TAGS) ./pkg/... ./cmd/...
	$(GO) test -count=1 ./...
	$(GO) test -count=1 $(LEAN_TAGS) ./pkg/secrets/...
	$(GO) test -count=1 $(LEAN_TAGS) -skip 'TestGolden/err-tampered' ./pkg/fn/
	$(GO) test -count=1 $(LEAN_TAGS) -run 'KeySource|Vault|KeyEndpoint|KeyPolicy' ./cmd/...

.PHONY: image
image: ## Build the FROM-scratch image (IMAGE=, default localhost/clusterpair-fn:dev) from host-built static binaries.
	rm -rf dist/image && mkdir -p dist/image
	$(GO) build -trimpath $(LEAN_TAGS) -ldflags '$(LDFLAGS)' -o dist/image/clusterpair-fn ./cmd/clusterpair-fn
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/image/clusterpair-fn-full ./cmd/clusterpair-fn
	cp /etc/ssl/certs/ca-certificates.crt dist/image/ca-certificates.crt
	printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n' > dist/image/passwd
	printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > dist/image/group
	docker build -q -t $(IMAGE) $(IMAGE_LABELS) -t $(call versioned,$(IMAGE)) -f Dockerfile dist/image

.PHONY: test-container
test-container: image tools ## Run the image for real through kustomize (container:) and kpt fn eval --image.
	CLUSTERPAIR_FN_IMAGE=$(IMAGE) $(GO) test -count=1 -tags container -run 'Container' ./test/e2e/...

.PHONY: fixtures
fixtures: tools ## Regenerate the SOPS fixtures (testdata/secrets, examples) with the sops CLI.
	./hack/gen-fixtures.sh

.PHONY: clean
clean: ## Remove build output (keeps ./bin tools).
	rm -rf dist $(FN) $(FN_FULL)
