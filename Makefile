# The two commands of the README. Both create .venv on first use and install the project into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= data
PORT   ?= 8501

.PHONY: demo test lint setup clean bench audit

$(BIN)/influence: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

setup: $(BIN)/influence

## make demo: build the warehouse from the bundled demo data and serve the dashboard on http://localhost:8501
demo: setup
	$(BIN)/influence demo --data-dir $(DATA) --port $(PORT)

## make test: the linter, then the whole test suite (two processes, each test file in one of them); then the dependency audit when CI=true or AUDIT=1
test: setup lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile
	@if [ "$$CI" = "true" ] || [ -n "$(AUDIT)" ]; then $(MAKE) --no-print-directory audit; fi

## make audit: known vulnerabilities in the locked dependencies (requirements.lock), from PyPI's advisory data only
audit: setup
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --requirement requirements.lock --no-deps --disable-pip --vulnerability-service pypi \
		--progress-spinner off

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/collect_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache data/raw data/cache data/warehouse.duckdb
