# One entry point for set-up and checks. `make test` on a fresh clone does everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast clean book book-deps data notebooks-smoke

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

## data: download the datasets into $SRLIB_DATA_DIR (default ./data), sha256-verified and resumable
data: $(STAMP)
	$(BIN)/python -m srlib data fetch

## book-deps: add the book's pinned packages (the 'book' extra) to .venv
BOOK_STAMP := $(VENV)/.book-installed
$(BOOK_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,book]'
	touch $(BOOK_STAMP)

book-deps: $(BOOK_STAMP)

## book: run every notebook with papermill (PROFILE=quick by default) and build the book strictly;
##       the notebooks read the committed result sets; RETRAIN=1 re-runs them from scratch first
##       the notebooks run as the graph of notebooks/build_graph.tsv, JOBS at a time (default: the cores)
PROFILE ?= quick
DEVICE  ?= auto
RETRAIN ?=
book: $(BOOK_STAMP)
	PROFILE=$(PROFILE) DEVICE=$(DEVICE) RETRAIN=$(RETRAIN) PYTHON=$(BIN)/python bash scripts/build_book.sh

## notebooks-smoke: every notebook's compute path at smoke size (RETRAIN=1, seconds per run), no HTML
## (its figures, of meaningless numbers, are not layout-checked: SRLIB_FIGURE_CHECK=off)
notebooks-smoke: $(BOOK_STAMP)
	rm -rf _build/smoke
	PROFILE=smoke RETRAIN=1 RETRAIN_DIR=_build/smoke/retrained OUT=_build/smoke/notebooks EXECUTE_ONLY=1 \
	  SRLIB_FIGURE_CHECK=off PYTHON=$(BIN)/python bash scripts/build_book.sh

clean:
	rm -rf $(VENV) .pytest_cache _build
