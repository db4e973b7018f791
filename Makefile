# Two commands on a fresh machine: `make run` (terminal chat) and `make test` (the whole suite).
# The Dockerfile repeats these steps; keep them in step.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check

.PHONY: run test install install-test index eval bench clean

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

index: install
	$(BIN)/helpdesk intents train --if-stale
	$(BIN)/helpdesk kb build --if-stale

run: index
	$(BIN)/helpdesk chat

test: install-test
	$(BIN)/python -m pytest -q

eval: index
	$(BIN)/helpdesk eval ../shared/eval/dev.jsonl

bench: index
	$(BIN)/helpdesk bench ../shared/eval/dev.jsonl --repeat 3

clean:
	rm -rf $(VENV) data .pytest_cache
