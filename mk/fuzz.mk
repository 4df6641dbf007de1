# Fuzzing: every parser of outside input has a target. `make test` already
# replays their seed corpora (and any committed testdata/fuzz/ inputs) as
# regression tests; these targets search for new inputs.
#
# The budget is a count of executions per target (FUZZ_EXECS), not a
# duration: go1.26's fuzz coordinator can fail a time-bounded run with a bare
# "context deadline exceeded" at the deadline on a loaded machine
# (golang/go#75804), which no reproducer explains. Counted runs end by
# themselves; a failure therefore always comes with a reproducer written
# under the package's testdata/fuzz/, which is what fails the run.
FUZZ_EXECS ?= 20000
FUZZ_TARGETS := \
	./pkg/api/v1alpha1:FuzzDecode \
	./pkg/api/v1alpha1:FuzzProjectMappings \
	./pkg/secrets:FuzzRootReadFile \
	./pkg/secrets:FuzzLookup \
	./pkg/secrets/sopsfull:FuzzDecrypt \
	./pkg/secrets/sopslean:FuzzDecrypt \
	./pkg/secrets/sopsfile:FuzzDecrypt \
	./pkg/transform:FuzzStorkConfig \
	./pkg/fn:FuzzRun \
	./pkg/build:FuzzGuard

.PHONY: fuzz
fuzz: ## Fuzz every parser for FUZZ_EXECS executions each (default 20000); make fuzz FUZZ_EXECS=2000 for a short pass.
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== fuzz $$pkg $$name ($(FUZZ_EXECS) executions)"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZ_EXECS)x $$pkg || exit 1; \
	done
