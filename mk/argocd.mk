# Argo CD: the Config Management Plugin sidecar image (examples/argocd/cmp,
# Dockerfile.argocd). See docs/argocd.md.
ARGOCD_CMP_IMAGE ?= localhost/clusterpair-fn-argocd-cmp:dev
ARGOCD_CMP_DIR   := dist/argocd-cmp
.PHONY: image-argocd-cmp
image-argocd-cmp: ## Build the Argo CD plugin sidecar image (ARGOCD_CMP_IMAGE=, default localhost/clusterpair-fn-argocd-cmp:dev).
	rm -rf $(ARGOCD_CMP_DIR) && mkdir -p $(ARGOCD_CMP_DIR)
	$(GO) build -trimpath $(LEAN_TAGS) -ldflags '$(LDFLAGS)' -o $(ARGOCD_CMP_DIR)/clusterpair-fn ./cmd/clusterpair-fn
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(ARGOCD_CMP_DIR)/clusterpair-fn-full ./cmd/clusterpair-fn
	cp /etc/ssl/certs/ca-certificates.crt $(ARGOCD_CMP_DIR)/ca-certificates.crt
	cp examples/argocd/cmp/plugin.yaml $(ARGOCD_CMP_DIR)/plugin.yaml
	printf 'root:x:0:0:root:/:/sbin/nologin\nargocd:x:999:999:argocd:/home/argocd:/sbin/nologin\n' > $(ARGOCD_CMP_DIR)/passwd
	printf 'root:x:0:\nargocd:x:999:\n' > $(ARGOCD_CMP_DIR)/group
	docker build -q -t $(ARGOCD_CMP_IMAGE) $(IMAGE_LABELS) -t $(call versioned,$(ARGOCD_CMP_IMAGE)) -f Dockerfile.argocd $(ARGOCD_CMP_DIR)

# `make test-container` also builds this image and runs its tests
# (test/e2e/argocd_container_test.go, TestContainerArgoCD*).
test-container: image-argocd-cmp
test-container: export CLUSTERPAIR_FN_ARGOCD_CMP_IMAGE := $(ARGOCD_CMP_IMAGE)
