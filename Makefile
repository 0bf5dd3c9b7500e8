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

.PHONY: help deps run test unit integration reliability e2e test-dates lint complexity build check-build bench e2e-deps clean distclean mutation

help:
	@echo "make run          run the local server (python -m local.server)"
	@echo "make test         lint, check-build, then the whole pytest suite (what CI runs)"
	@echo "make unit | integration | reliability | e2e   one suite (PYTEST_ARGS=... to narrow)"
	@echo "make test-dates   the date-sensitive suites under faketime on each of DATES (year end, leap day, DST)"
	@echo "make lint         ruff, mypy, sam validate --lint, cfn-lint, checkov"
	@echo "make complexity   fail if a function or class is over radon grade B (part of lint)"
	@echo "make build        sam build (into .aws-sam/)"
	@echo "make bench        run the benchmark (python -m bench)"
	@echo "make mutation     mutation testing of the counting core (slow; docs/mutation.md)"
	@echo "make e2e-deps     install Debian chromium for browser tests (root only)"
	@echo "make clean        remove build output and caches; distclean also the venvs"

$(DEV): requirements-dev.txt src/requirements.txt layers/duckdb/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

$(TOOLS_STAMP): requirements-tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q -r requirements-tools.txt
	touch $@

run: $(DEV)
	PYTHONPATH=src:. $(PY) -m local.server

bench: $(DEV)
	PYTHONPATH=src:. $(PY) -m bench

# sam build is mostly downloads (the functions' arm64 wheels): it runs beside the tests,
# its output shown after theirs, and both must pass (~1.5 min off the wall time).
test: deps lint $(DEV)
	@mkdir -p artifacts
	@$(MAKE) --no-print-directory check-build > artifacts/check-build.log 2>&1 & build=$$!; \
	$(PYTEST) $(PYTEST_ARGS) | tee artifacts/pytest.log; tests=$${PIPESTATUS[0]}; \
	wait $$build; built=$$?; \
	if [ $$built -ne 0 ]; then cat artifacts/check-build.log; echo "make check-build failed"; \
	else echo "make check-build passed beside the tests (artifacts/check-build.log)"; fi; \
	tail -n 1 artifacts/pytest.log; \
	[ $$tests -eq 0 ] && [ $$built -eq 0 ]

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

# No test may depend on the day it runs: pytest, the local API (in-process) and Chromium
# (a child) run under Debian's faketime, its clock starting at each of DATES (UTC) and
# running on. One line per date; fails if any date fails. Logs in artifacts/test-dates/.
DATES ?= 2026-12-31T23:58:00 2027-01-01T00:02:00 2028-02-29T12:00:00 2028-03-01T00:01:00 \
	2027-03-28T00:59:00 2027-03-28T02:00:00 2027-10-31T00:59:00 2027-10-31T02:00:00 \
	2027-12-31T16:59:00
# libfaketime 0.9.10 fakes CLOCK_MONOTONIC but not sem_clockwait: a Python thread's
# Event.wait(timeout) never returns (FAKETIME_DONT_FAKE_MONOTONIC=1 mends that but makes
# time.sleep fail with EINVAL). The local API's stream pollers wait so: they never tick on
# their own, which is all test_local_run checks there (it holds at any date: midday zone).
DATES_SUITES ?= tests/e2e tests/integration tests/reliability tests/unit
DATES_ARGS ?= -m "not slow" \
	--deselect tests/reliability/test_local_run.py::test_a_high_traffic_site_counts_end_to_end_and_no_call_leaves_the_machine
test-dates: e2e-deps $(DEV)
	@if ! command -v faketime >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; fi
	@command -v faketime >/dev/null || { echo "faketime is missing: apt-get install faketime"; exit 1; }
	@mkdir -p artifacts/test-dates; failed=0; \
	for when in $(DATES); do \
	  log=artifacts/test-dates/$$when.log; \
	  TZ=UTC faketime -f "@$${when/T/ }" $(PYTEST) -q $(DATES_ARGS) $(DATES_SUITES) $(PYTEST_ARGS) >$$log 2>&1 \
	    && result=ok || { result=FAILED; failed=1; }; \
	  echo "$$when UTC  $$result  $$(grep -E '(passed|failed|error).* in [0-9.]+s' $$log | tail -1 | tr -d =)"; \
	done; exit $$failed

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
	test -f .aws-sam/build/StaticFunction/web/breakdowns.js
	test -f .aws-sam/build/StaticFunction/web/engagement.js
	test -f .aws-sam/build/StaticFunction/web/segments.js
	# DuckDB is the archive functions' layer, never in the hit function's package.
	test -f .aws-sam/build/DuckDBLayer/python/_duckdb.abi3.so
	test ! -d .aws-sam/build/HitFunction/duckdb

# Debian's chromium for the Playwright browser tests (never `playwright install`).
# Only as root; without it the browser tests fail unless ALLOW_NO_BROWSER=1.
# The installs are mostly downloads: side by side (a fresh clone, as CI runs).
deps:
	@$(MAKE) --no-print-directory -j3 e2e-deps $(DEV) $(TOOLS_STAMP)

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
