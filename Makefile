# bizsight — two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never
DEMO_DIR ?= demo-project

.PHONY: setup demo test lint format bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@test -x $(PY) || $(PYTHON) -m uv venv --quiet --python $(PYTHON) $(VENV)
	$(PYTHON) -m uv pip install --quiet --python $(PY) -e '.[dev]'
	@touch $@

demo: setup  ## generate demo data, ingest, refresh, show status and the quality report, then serve on :8000
	$(VENV)/bin/bizsight demo $(DEMO_DIR)

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

test: lint  ## lint, type-check, then the whole test suite (2 workers)
	$(PY) -m pytest -n 2 --dist loadfile

format: setup
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

bench: setup
	$(PY) benchmarks/bench_ingest.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
