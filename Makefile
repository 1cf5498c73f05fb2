# hiddenspof: `make help` lists the targets. Every target bootstraps .venv itself.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLES := data/teaching.yaml data/hybrid-enterprise data/saas-single-cloud.xlsx
JOBS ?= 2
# The workshop installs the runtime only (no test tools); WHEELS=DIR installs from a wheel folder with no network.
RUNTIME := $(VENV)/.runtime-installed
WHEELS ?=
PIP_FROM := $(if $(WHEELS),--no-index --find-links $(WHEELS),)
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: help venv test report lab workshop workshop-check workshop-wheels workshop-facilitator workshop-handouts workshop-reset workshop-solutions lint bench bench-report system-deps strip clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

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

$(RUNTIME): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_FROM) -c requirements.lock -e .
	@touch $(RUNTIME)

workshop: $(RUNTIME) ## install the runtime only (WHEELS=wheelhouse: offline) and open JupyterLab on the participants' folder
	$(BIN)/jupyter lab $(ALLOW_ROOT) --notebook-dir=notebooks/workshop

workshop-check: $(RUNTIME) ## the pre-class check: installs the runtime, then says "ready" or what is missing
	$(BIN)/python -m hiddenspof.workshop check

workshop-wheels: ## build wheelhouse/: every runtime package as a wheel, for installing with no network
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip wheel --quiet -c requirements.lock --wheel-dir wheelhouse . 'setuptools>=77'
	@echo "wheelhouse/ is ready: copy the repository with it, then run: make workshop WHEELS=wheelhouse"

workshop-facilitator: $(RUNTIME) ## open JupyterLab on notebooks/ (the kit, the solutions and the learner notebooks)
	$(BIN)/jupyter lab $(ALLOW_ROOT) --notebook-dir=notebooks

workshop-handouts: $(RUNTIME) ## the participant handout and the facilitator's slides as PDF in reports/workshop (needs chromium)
	$(BIN)/python -m hiddenspof.workshop handouts reports/workshop

workshop-reset: ## put the participants' folder back as shipped (close the notebook tabs first; discards answers and edits)
	git checkout -- notebooks/workshop
	find notebooks/workshop -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +

workshop-solutions: $(RUNTIME) ## rewrite notebooks/facilitator/solutions from the learner notebooks (outputs never copied)
	$(BIN)/python -m hiddenspof.workshop solutions notebooks/workshop notebooks/facilitator/solutions

lint: $(STAMP) ## ruff over the library and tests
	$(BIN)/ruff check .

bench: $(STAMP) ## benchmarks at 2k/20k/100k components into reports/bench.md (BENCH_FLAGS=--skip-largest: ~5 min)
	$(BIN)/python benchmarks/bench.py $(BENCH_FLAGS)

bench-report: $(STAMP) ## report cost vs bare analysis: 12 synthetic environments x 300 components, --jobs 2 (BENCH_REPORT_FLAGS=...)
	$(BIN)/python benchmarks/bench_report.py $(BENCH_REPORT_FLAGS)

strip: $(STAMP) ## remove outputs from every notebook (they are stored without outputs)
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb notebooks/workshop/*.ipynb notebooks/facilitator/solutions/*.ipynb

clean: ## remove generated reports and caches (keeps .venv)
	find reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis
