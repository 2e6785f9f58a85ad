# One entry point for set-up and checks. `make test` on a fresh clone does everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## test: set up .venv (pinned versions) and run the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## test-fast: skip the tests marked slow (the Urban100 protocol cells, long training runs)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(VENV) .pytest_cache _build
