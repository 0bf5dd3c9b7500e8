# Visit counter: build, lint, test and run.  `make test` is what CI runs (.ci/run).
# Every target installs what it needs; the first run creates two venvs:
#   $(VENV)   app + test + lint deps (requirements-dev.txt)
#   $(TOOLS)  aws-sam-cli, cfn-lint, checkov (requirements-tools.txt; they pin
#             boto3/pydantic versions that clash with the app's, so kept apart)

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
TOOLS ?= .venv-tools
PYTEST_ARGS ?=
# pytest-xdist: one process per core, each test file on one worker (moto's
# mock_aws, the local API's in-process moto server and the browser are per
# process, and module-scoped servers are started once per file).
# PYTEST_PARALLEL= (empty) runs serially.
PYTEST_PARALLEL ?= -n auto --dist loadfile
PYTEST = $(PY) -m pytest -p no:cacheprovider $(PYTEST_PARALLEL)

PY := $(VENV)/bin/python
DEV := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed

# The SAM CLI works offline and without AWS credentials; just keep it quiet
# and give it a region.
SAM := env SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(TOOLS)/bin/sam

# `sam build` (runtime python3.13, no Docker) needs python3.13 on PATH;
# pyenv keeps one that its shims do not expose unless it is the global version.
PY313_BIN := $(lastword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin))
BUILD_PATH := $(if $(PY313_BIN),$(PY313_BIN):)$(PATH)

.PHONY: help run test unit integration reliability e2e lint complexity build check-build bench e2e-deps clean distclean mutation

help:
	@echo "make run          run the local server (python -m local.server)"
	@echo "make test         lint, check-build, then the whole pytest suite (what CI runs)"
	@echo "make unit | integration | reliability | e2e   one suite (PYTEST_ARGS=... to narrow)"
	@echo "make lint         ruff, mypy, sam validate --lint, cfn-lint, checkov"
	@echo "make complexity   fail if a function or class is over radon grade B (part of lint)"
	@echo "make build        sam build (into .aws-sam/)"
	@echo "make bench        run the benchmark (python -m bench)"
	@echo "make mutation     mutation testing of the counting core (slow; docs/mutation.md)"
	@echo "make e2e-deps     install Debian chromium for browser tests (root only)"
	@echo "make clean        remove build output and caches; distclean also the venvs"

$(DEV): requirements-dev.txt src/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

$(TOOLS_STAMP): requirements-tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q -r requirements-tools.txt
	touch $@

run: $(DEV)
	LOCAL_STREAM_WINDOW=1 PYTHONPATH=src:. $(PY) -m local.server

bench: $(DEV)
	PYTHONPATH=src:. $(PY) -m bench

test: e2e-deps lint check-build $(DEV)
	$(PYTEST) $(PYTEST_ARGS)

unit integration reliability: $(DEV)
	$(PYTEST) tests/$@ $(PYTEST_ARGS)

# Mutation testing of the counting core (mutmut; the modules and tests are in pyproject.toml,
# [tool.mutmut]): slow, so never part of `make test`. A fresh run each time, since mutmut
# keeps the verdicts of mutants whose code did not change even when the tests did.
# The hour-long figures cache keeps timing out of tests that count requests while
# mutants run slowly.
MUTATION_STAMP := $(VENV)/.mutation-installed
$(MUTATION_STAMP): requirements-mutation.txt $(DEV)
	$(PY) -m pip install -q -r requirements-mutation.txt
	touch $@

mutation: $(MUTATION_STAMP)
	rm -rf mutants
	BUFFERED_FIGURES_CACHE_SECONDS=3600 nice -n 10 $(VENV)/bin/mutmut run --max-children 2
	$(PY) tools/mutation_report.py --survivors

e2e: e2e-deps $(DEV)
	$(PYTEST) tests/e2e $(PYTEST_ARGS)

lint: $(DEV) $(TOOLS_STAMP) complexity
	$(VENV)/bin/ruff check src tests local bench tools
	$(VENV)/bin/mypy src
	$(SAM) validate --lint
	$(TOOLS)/bin/cfn-lint template.yaml
	$(TOOLS)/bin/checkov -f template.yaml --framework cloudformation --quiet --compact --skip-download

# Every function and class graded C or worse (cyclomatic complexity over 10) fails
# lint: split it, or say in a comment why not and raise the bar here.
complexity: $(DEV)
	@over=$$($(VENV)/bin/radon cc -s -n C src local); \
	if [ -n "$$over" ]; then echo "radon grade C or worse:"; echo "$$over"; exit 1; fi

build: $(TOOLS_STAMP)
	@PATH="$(BUILD_PATH)" python3.13 --version >/dev/null 2>&1 || \
	  { echo "sam build needs python3.13 on PATH (e.g. pyenv install 3.13)"; exit 1; }
	PATH="$(BUILD_PATH)" $(SAM) build
	# sam build ships no bytecode, and Lambda's /var/task is read-only: without this every
	# cold start compiles Powertools, pydantic and our code again (hit function + client:
	# ~815 ms CPU without bytecode, ~285 ms with, measured on python3.13 here).
	PATH="$(BUILD_PATH)" python3.13 -m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build

check-build: build
	test -f .aws-sam/build/HitFunction/handlers/hits.py
	ls .aws-sam/build/HitFunction/handlers/__pycache__/hits.cpython-313.pyc
	ls .aws-sam/build/HitFunction/pydantic/__pycache__/main.cpython-313.pyc
	test -d .aws-sam/build/HitFunction/aws_lambda_powertools
	test -f .aws-sam/build/StaticFunction/handlers/static.py
	test -f .aws-sam/build/StaticFunction/web/widget.js
	test -f .aws-sam/build/StaticFunction/web/dashboard.html

# Debian's chromium for the Playwright browser tests (never `playwright install`).
# Only as root; without it the browser tests fail unless ALLOW_NO_BROWSER=1.
e2e-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian chromium for browser tests..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	    || echo "warning: could not install chromium; browser tests will fail (ALLOW_NO_BROWSER=1 skips them)"; \
	fi

clean:
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache .hypothesis artifacts
	find . -path ./$(VENV) -prune -o -path ./$(TOOLS) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(TOOLS)
