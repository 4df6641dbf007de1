# Fuzzing: every parser of outside input has a target. `make test` already
# replays their seed corpora (and any committed testdata/fuzz/ inputs) as
# regression tests; these targets search for new inputs, each for FUZZTIME.
FUZZTIME ?= 60s
FUZZ_TARGETS := \
	./pkg/api/v1alpha1:FuzzDecode \
	./pkg/api/v1alpha1:FuzzProjectMappings \
	./pkg/secrets:FuzzRootReadFile \
	./pkg/secrets:FuzzLookup \
	./pkg/secrets:FuzzDecrypt \
	./pkg/transform:FuzzStorkConfig \
	./pkg/fn:FuzzRun \
	$(if $(wildcard pkg/secrets/sopsfile/fuzz_test.go),./pkg/secrets/sopsfile:FuzzDecrypt)

.PHONY: fuzz
fuzz: ## Fuzz every parser for FUZZTIME each (default 60s); make fuzz FUZZTIME=5s for a short pass.
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== fuzz $$pkg $$name ($(FUZZTIME))"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done
