# vmabench: the single entry point. `make` lists the targets.

SHELL        := bash
.SHELLFLAGS  := -euo pipefail -c

GO      ?= go
# PLOTS is where `make plots` draws: a directory named after RESULTS.
PLOTS   ?= plots/$(basename $(notdir $(RESULTS)))
# COUNT and BENCHTIME shape `make gobench`.
COUNT     ?= 6
BENCHTIME ?= 500ms
# RESULTS is the results file `make plots` and `make benchstat` read:
# the newest under results/ unless given, as in `make plots RESULTS=f.txt`.
RESULTS ?= $(shell ls -t results/*.txt 2>/dev/null | head -n 1)

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@echo 'usage: make <target>'
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  %-10s %s\n", $$1, $$2 }'

.PHONY: test
test: vet fmt ## go vet, a gofmt check and go test -race: fails on any finding
	$(GO) test -race ./...
	$(GO) test -tags vmabench_nosim -run '^TestUnavailable$$' ./sim

.PHONY: check
check: test ## the same as test

.PHONY: vet
vet: ## go vet ./..., also of the build with -tags vmabench_nosim
	$(GO) vet ./...
	$(GO) vet -tags vmabench_nosim ./...

.PHONY: fmt
fmt: ## fail if any Go file is not gofmt'ed (and name it)
	@files="$$(gofmt -l . 2>&1)"; \
	if [ -n "$$files" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$files"; exit 1; fi

.PHONY: mutants
mutants: ## the mutation check: every single-step bug in mutants/ must be caught, by the exploration first
	$(GO) run ./cmd/mutants

# STRATEGY (a regexp of design names, "" for all), RUNS (PCT runs per
# scenario and depth) and DFS (most schedules of one DFS search) shape
# `make explore`.
STRATEGY ?=
RUNS     ?= 20000
DFS      ?= 200000

.PHONY: explore
explore: ## a long exploration of interleavings (STRATEGY, RUNS, DFS): per design, the bound it reached at depth 2 and 3
	$(GO) test ./explore -run '^TestExplore$$' -v -count=1 -timeout 0 -args \
		-vmabench.strategy='$(STRATEGY)' -vmabench.runs=$(RUNS) -vmabench.dfs=$(DFS) | \
		grep -v -E '^ *(=== RUN|--- PASS)' | sed 's/^ *explore_test.go:[0-9]*: //'

.PHONY: bench
bench: ## the quick default matrix: a table, results/quick-*.txt and plots/quick-*/
	$(GO) run ./cmd/vmabench

.PHONY: gobench
gobench: ## the matrix as go test -bench (COUNT, BENCHTIME) into results/gotest-<time>.txt
	@mkdir -p results
	$(GO) test -run '^$$' -bench VMA -count $(COUNT) -benchtime $(BENCHTIME) . | tee results/gotest-$$(date +%Y%m%d-%H%M%S).txt

# ROUNDS and OVERHEAD shape `make overhead`: how many times each build runs,
# and the cells (a -bench pattern).
ROUNDS   ?= 10
OVERHEAD ?= VMA/workload=(faults|lookups)$$/strategy=(nolock|vmarefcnt)/threads=1$$

.PHONY: overhead
overhead: ## what the shared words cost a real run: this tree against itself built with -tags vmabench_nosim (ROUNDS, OVERHEAD)
	@dir=results/overhead-$$(date +%Y%m%d-%H%M%S); mkdir -p $$dir; \
	$(GO) test -c -o $$dir/words.test . ; \
	$(GO) test -c -tags vmabench_nosim -o $$dir/plain.test . ; \
	for i in $$(seq $(ROUNDS)); do \
		echo "round $$i of $(ROUNDS)" >&2; \
		for b in plain words; do \
			$$dir/$$b.test -test.run '^$$' -test.bench '$(OVERHEAD)' -test.benchtime $(BENCHTIME) \
				-vmabench.calibration none >> $$dir/$$b.txt; \
		done; \
	done; \
	rm $$dir/words.test $$dir/plain.test; \
	$(GO) tool benchstat -filter '.unit:ns/op' $$dir/plain.txt $$dir/words.txt | tee $$dir/benchstat.txt

.PHONY: plots
plots: ## charts of RESULTS (default: the newest results file) in PLOTS (plots/<name>/)
	@test -n "$(RESULTS)" || { echo 'no results file: run make bench first, or give RESULTS=FILE'; exit 1; }
	$(GO) run ./cmd/vmabench plot -o $(PLOTS) $(RESULTS)

.PHONY: benchstat
benchstat: ## benchstat of RESULTS (default: the newest): a column per strategy, a row per workload and thread count
	@test -n "$(RESULTS)" || { echo 'no results file: run make bench first, or give RESULTS=FILE'; exit 1; }
	$(GO) tool benchstat -col /strategy -row /workload,/threads $(RESULTS)

.PHONY: nightly
nightly: ## the nightly job: run, add to the history in results/, gate, chart
	$(GO) run ./cmd/vmabench nightly

.PHONY: clean
clean: ## remove the results and charts of ad hoc runs (the nightly history stays)
	rm -rf results/quick-* results/gotest-* results/overhead-* plots/quick-* plots/gotest-*
