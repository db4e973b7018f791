# Two commands on a fresh machine: `make run` (terminal chat) and `make test` (the whole suite).
# The Dockerfile repeats these steps; keep them in step.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check

.PHONY: run test lint install install-test system-deps index eval bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# PostgreSQL, Redis, Chromium and ChromeDriver for the tests that start real servers and a browser.
system-deps:
	bash scripts/install_system_deps.sh

index: install
	$(BIN)/helpdesk intents train --if-stale
	$(BIN)/helpdesk kb build --if-stale

run: index
	$(BIN)/helpdesk chat

# Style, types and import rules first: each can fail the build, and they take seconds.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The whole suite (the Store contract suites on SQLite and PostgreSQL), then the end-to-end files
# again with the bot on PostgreSQL and Redis; both servers are started by the tests on loopback.
test: lint system-deps
	$(BIN)/python -m pytest -q
	HELPDESK_TEST_BACKEND=postgres+redis $(BIN)/python -m pytest -q tests/test_citizen.py tests/test_operator*.py \
		tests/test_durable.py tests/test_fault.py tests/test_fault_workers.py

eval: index
	$(BIN)/helpdesk eval ../shared/eval/dev.jsonl

bench: index
	$(BIN)/helpdesk bench ../shared/eval/dev.jsonl --repeat 3

# atheris on each target for FUZZ_SECONDS (scripts/fuzz.py); a broken invariant stops with the input.
FUZZ_SECONDS ?= 60
fuzz: install-test
	$(PIP) install -q -e '.[test,fuzz]'
	mkdir -p fuzz-found
	for target in normalize redact callback reply; do \
		$(BIN)/python scripts/fuzz.py $$target -max_total_time=$(FUZZ_SECONDS) -seed=1 \
			-print_final_stats=1 -artifact_prefix=fuzz-found/$$target- || exit 1; \
	done

clean:
	rm -rf $(VENV) data .pytest_cache
