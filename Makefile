# hiddenspof: `make help` lists the targets. Every target bootstraps .venv itself.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLES := data/teaching.yaml data/hybrid-enterprise data/saas-single-cloud.xlsx
JOBS ?= 2

.PHONY: help venv test report lab workshop workshop-reset workshop-solutions lint bench bench-report system-deps strip clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## create or refresh .venv from the pinned requirements (done by every target)

system-deps: ## install Debian's chromium (PDF reports, browser tests) and scram (fault-tree cross-check) when missing
	@bash .ci/system-deps

test: $(STAMP) system-deps ## run the whole test suite (unit, property, notebook, browser)
	$(BIN)/python -m pytest

report: $(STAMP) ## render every sample estate into reports/, assessed against DORA and CIS v8 (open reports/index.html)
	$(BIN)/hiddenspof report $(SAMPLES) --out reports --jobs $(JOBS) --framework dora --framework cis-v8
	@echo "Open reports/index.html"

lab: $(STAMP) ## open JupyterLab on the notebooks (widgets work)
	$(BIN)/jupyter lab --notebook-dir=notebooks

workshop: $(STAMP) ## set up and open the teaching workshop in JupyterLab (participants' one command)
	$(BIN)/jupyter lab --notebook-dir=notebooks/workshop

workshop-reset: ## put the workshop notebooks back as shipped (discards answers, outputs and edits in notebooks/workshop)
	git checkout -- notebooks/workshop
	find notebooks/workshop -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +

workshop-solutions: $(STAMP) ## rewrite notebooks/workshop/solutions from the learner notebooks
	$(BIN)/python -m hiddenspof.workshop solutions notebooks/workshop

lint: $(STAMP) ## ruff over the library and tests
	$(BIN)/ruff check .

bench: $(STAMP) ## benchmarks at 2k/20k/100k components into reports/bench.md (BENCH_FLAGS=--skip-largest: ~5 min)
	$(BIN)/python benchmarks/bench.py $(BENCH_FLAGS)

bench-report: $(STAMP) ## report cost vs bare analysis: 12 synthetic environments x 300 components, --jobs 2 (BENCH_REPORT_FLAGS=...)
	$(BIN)/python benchmarks/bench_report.py $(BENCH_REPORT_FLAGS)

strip: $(STAMP) ## remove outputs from every notebook (they are stored without outputs)
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb notebooks/workshop/*.ipynb notebooks/workshop/solutions/*.ipynb

clean: ## remove generated reports and caches (keeps .venv)
	find reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis
