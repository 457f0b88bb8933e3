# bizsight — two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
# The uv that reads and writes uv.lock; change it together with the lock (docs/decisions/0032-locked-dependencies.md).
UV_VERSION := 0.13.9
UV := $(PYTHON) -m uv
export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
DEMO_DIR ?= demo-project

.PHONY: setup lock demo test lint format bench screenshots clean

setup: $(VENV)/.installed

# Exactly the versions in uv.lock, the project editable, the dev extra (tests, lint, PostgreSQL,
# Spark). --locked fails when pyproject.toml has changed and uv.lock was not updated: run `make lock`.
$(VENV)/.installed: pyproject.toml uv.lock
	@test "$$($(UV) --version 2>/dev/null | cut -d' ' -f2)" = $(UV_VERSION) || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
	$(UV) sync --quiet --locked --extra dev --python $(PYTHON)
	@touch $@

lock:  ## update uv.lock after a change to pyproject.toml (only what the change needs)
	$(UV) lock

demo: setup  ## generate demo data, ingest, refresh, show status and the quality report, then serve on :8000 (PORT=8123, HOST=0.0.0.0 to change)
	$(VENV)/bin/bizsight demo $(DEMO_DIR)$(if $(HOST), --host $(HOST))$(if $(PORT), --port $(PORT))

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/mypy

test: lint  ## lint, type-check, then the whole test suite (3 workers on 2 cores: decision 0060)
	@# The suite starts hundreds of bizsight processes; with PYTHONDONTWRITEBYTECODE set (as on
	@# the CI machines) each would compile the package from source again: compile it once here.
	$(PY) -m compileall -q -j 0 src
	$(PY) -m pytest -n 3 --dist loadfile --no-loadscope-reorder

format: setup
	$(VENV)/bin/ruff format src tests benchmarks scripts
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts

bench: setup
	$(PY) benchmarks/bench_ingest.py

screenshots: setup  ## every page at 1,400 and 390 px wide into docs/img (a small demo, Debian's chromium)
	$(PY) scripts/screenshots.py --out docs/img

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
