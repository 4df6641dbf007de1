# GitOps end-to-end suite (issue 13): the real Argo CD argocd-repo-server and
# argocd-cmp-server (built from the Go module proxy by the tools module
# test/gitops/argocd) and Flux's own packages (test/gitops/flux) render and
# apply pairs against the two loopback kube-apiservers of `make e2e`
# (test/cluster, build tags cluster and gitops). See docs/testing.md.
ARGOCD_VERSION := v3.6.2
ARGOCD_BIN     := $(CURDIR)/.cache/argocd/$(ARGOCD_VERSION)/argocd
FLUXAPPLY_BIN  := $(CURDIR)/.cache/fluxapply/fluxapply
# Argo CD v3.6.2's go.mod says go 1.27.0: its tools module (and only it) is
# built, vetted and tested with this toolchain, which the Go command fetches
# from the module proxy once. The project itself keeps the Go of go.mod.
ARGOCD_GO      := GOTOOLCHAIN=go1.27.3 $(GO)

# Both tools are rebuilt by `go build` each run: with the build cache warm
# that is a no-op relink check; cold, Argo CD takes minutes.
# The repo-server (3.x) runs hack/git-verify-wrapper.sh from its PATH on every
# manifest request: it is copied from Argo CD's module (in the module cache,
# nothing of Argo CD is committed) next to the binary, and the suite and the
# bench put that directory on the repo-server's PATH.
.PHONY: argocd-tool gitops-tools
argocd-tool: ## Build Argo CD's cmp-server and repo-server (one binary) into .cache/argocd/.
	@mkdir -p $(dir $(ARGOCD_BIN))
	@start=$$(date +%s); cd test/gitops/argocd && $(ARGOCD_GO) build -trimpath -ldflags '-s -w' -o $(ARGOCD_BIN) ./cmd/argocd && \
	  src=$$($(ARGOCD_GO) list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)/hack/git-verify-wrapper.sh && \
	  install -m 0755 "$$src" $(dir $(ARGOCD_BIN))git-verify-wrapper.sh && \
	  echo "gitops-tools: Argo CD $$($(ARGOCD_BIN) version) ready in $$(( $$(date +%s) - start ))s"

gitops-tools: argocd-tool ## Build Argo CD (cmp-server, repo-server) and fluxapply into .cache/.
	@mkdir -p $(dir $(FLUXAPPLY_BIN))
	@start=$$(date +%s); cd test/gitops/flux && $(GO) build -trimpath -ldflags '-s -w' -o $(FLUXAPPLY_BIN) ./cmd/fluxapply; \
	  echo "gitops-tools: fluxapply ready in $$(( $$(date +%s) - start ))s"; $(FLUXAPPLY_BIN) version

.PHONY: e2e-gitops
e2e-gitops: build tools kube-apiserver gitops-tools ## Real Argo CD and Flux code render, apply and health-check pairs.
	@etcd=$$(./hack/ensure-etcd.sh); redis=$$(./hack/ensure-redis.sh); \
	(cd test/gitops/argocd && $(ARGOCD_GO) vet ./... && $(ARGOCD_GO) test -count=1 -v ./...) && \
	(cd test/gitops/flux && $(GO) vet ./... && $(GO) test -count=1 -v ./...) && \
	$(GO) vet -tags cluster,gitops ./test/cluster/ && \
	KUBE_APISERVER=$(KUBE_APISERVER) ETCD=$$etcd ARGOCD=$(ARGOCD_BIN) FLUXAPPLY=$(FLUXAPPLY_BIN) PATH=$$(dirname $$redis):$$PATH \
	  $(GO) test -tags cluster,gitops -count=1 -timeout $(E2E_TIMEOUT) -v -run '^TestGitOps$$' ./test/cluster/...

# Argo CD's sync engine (issue "Pairs follow Git"): gitops-engine v3.6.2's
# sync.NewSyncContext and kubectl, as Argo CD's application controller syncs,
# in its own tools module test/gitops/argosync (kept apart from
# test/gitops/argocd). gitops-engine v3.6.2's go.mod says go 1.27.0, so this
# module alone builds with the go1.27.3 toolchain (fetched by the go command
# from the module proxy); the main module keeps its own Go.
ARGOSYNC_VERSION     := v3.6.2
ARGOSYNC_BIN         := $(CURDIR)/.cache/argosync/$(ARGOSYNC_VERSION)/argosync
ARGOSYNC_GOTOOLCHAIN := go1.27.3

.PHONY: argosync
argosync: ## Vet and test test/gitops/argosync, build its sync-engine driver (gitops-engine v3.6.2) into .cache/.
	@mkdir -p $(dir $(ARGOSYNC_BIN))
	@start=$$(date +%s) && cd test/gitops/argosync && GOTOOLCHAIN=$(ARGOSYNC_GOTOOLCHAIN) $(GO) vet ./... && \
	  GOTOOLCHAIN=$(ARGOSYNC_GOTOOLCHAIN) $(GO) test -count=1 ./... && \
	  GOTOOLCHAIN=$(ARGOSYNC_GOTOOLCHAIN) $(GO) build -trimpath -ldflags '-s -w' -o $(ARGOSYNC_BIN) ./cmd/argosync && \
	  echo "argosync: ready in $$(( $$(date +%s) - start ))s" && $(ARGOSYNC_BIN) version

# make e2e-gitops builds it and hands it to TestGitOps (TestGitOps/argocd_sync).
e2e-gitops: argosync
e2e-gitops: export ARGOSYNC := $(ARGOSYNC_BIN)
