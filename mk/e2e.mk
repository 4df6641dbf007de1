# Cluster end-to-end suite (test/cluster, build tag "cluster"): two real
# kube-apiservers with their own etcd on loopback; render with kustomize,
# apply, pair the way Stork does, dry-run the examples. See docs/testing.md.
KUBE_VERSION   ?= v1.34.2
E2E_TIMEOUT    ?= 30m
KUBE_APISERVER := $(CURDIR)/.cache/kube-apiserver/$(KUBE_VERSION)/kube-apiserver
KUBE_CONTROLLER_MANAGER := $(CURDIR)/.cache/kube-controller-manager/$(KUBE_VERSION)/kube-controller-manager

.PHONY: kube-apiserver
kube-apiserver: ## Build kube-apiserver from the Go module proxy into .cache/ (once).
	@KUBE_VERSION=$(KUBE_VERSION) ./hack/build-kube-apiserver.sh >/dev/null

# The service-account token controller (new --service-account's Secret token).
.PHONY: kube-controller-manager
kube-controller-manager: ## Build kube-controller-manager from the same module into .cache/ (once).
	@KUBE_VERSION=$(KUBE_VERSION) KUBE_COMPONENT=kube-controller-manager ./hack/build-kube-apiserver.sh >/dev/null

.PHONY: e2e
e2e: build tools kube-apiserver kube-controller-manager ## Real API servers: apply the render, pair as Stork does.
	@etcd=$$(./hack/ensure-etcd.sh); \
	$(GO) vet -tags cluster ./test/cluster/; \
	KUBE_APISERVER=$(KUBE_APISERVER) KUBE_CONTROLLER_MANAGER=$(KUBE_CONTROLLER_MANAGER) ETCD=$$etcd \
	  $(GO) test -tags cluster -count=1 -timeout $(E2E_TIMEOUT) -v ./test/cluster/...
