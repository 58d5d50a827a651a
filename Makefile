# Two commands on a fresh machine: `make up` runs the platform, `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint bench clean-data system-deps

$(STAMP): pyproject.toml
	@./scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

.venv: $(STAMP)

system-deps:
	@./scripts/system-deps.sh

up: $(STAMP) system-deps
	$(BIN)/clearway up

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy clearway cli domain models activities workflows workers api bench

bench: $(STAMP)
	$(BIN)/python bench/onboarding.py

clean-data:
	rm -rf .clearway
