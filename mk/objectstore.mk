# Object-store test servers for check --live's object-store check
# (pkg/check/objectstore): the tools module test/objectstore builds
# objstore-server — gofakes3 (S3, with Signature V4 verified) and
# fake-gcs-server (Cloud Storage, with its token endpoint) — so that the
# main go.mod pulls neither. `go test ./pkg/check/objectstore/` starts it on
# loopback and fails (never skips) when it is missing. See docs/testing.md.
OBJSTORE_SERVER := $(CURDIR)/.cache/objstore/objstore-server

# A plain go build each run: a no-op relink check when the build cache is warm.
.PHONY: objectstore-tools
objectstore-tools: ## Build the object-store test servers (gofakes3, fake-gcs-server) into .cache/.
	@mkdir -p $(dir $(OBJSTORE_SERVER))
	cd test/objectstore && $(GO) vet ./... && $(GO) build -trimpath -ldflags '-s -w' -o $(OBJSTORE_SERVER) ./cmd/objstore-server

# `make test` runs pkg/check/objectstore's tests, which need it.
test: objectstore-tools
