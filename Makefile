# Two entry points, each sets up everything it needs on a fresh machine:
#   make sample   install into .venv, then clean the bundled sample (data/raw -> data/clean)
#   make test     install into .venv, then run the test suite
#   make test-fast  the tests that start no service (Prefect, Dask, S3) and run at no scale, on two processes: the quick check
#   make lint     ruff check and ruff format --check (pyproject.toml's configuration), as CI runs them
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: sample test test-fast lint install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

sample: $(BIN)/.installed
	$(BIN)/docclean run --raw data/raw --out data/clean

test: $(BIN)/.installed
	$(BIN)/python -m pytest

test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -m "not services and not slow" -q -n 2

lint: $(BIN)/.installed
	$(BIN)/ruff check pipeline flows bench scripts tests
	$(BIN)/ruff format --check pipeline flows bench scripts tests

clean:
	mkdir -p data/clean && find -H data/clean -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
