# Hälsoval backend. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SIZE ?= rjh
# Exact versions (with hashes) of every package, runtime and dev: what CI tested is what a fresh
# machine installs. The runtime-only lock (same pins) is what deploy/Dockerfile installs.
LOCK := requirements.lock
RUNTIME_LOCK := requirements-runtime.lock
UV_VERSION := 0.13.9
COMPILE := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
  --generate-hashes --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)

.PHONY: run test install lock lint typecheck bench clean

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## the locked versions, then the project itself (editable, no dependencies)

# Keeps the versions already pinned unless pyproject.toml needs others; UPGRADE=1 moves every
# pin to the newest release pyproject.toml allows. Then `make test` and commit both locks.
lock: ## regenerate requirements.lock (runtime + dev) and requirements-runtime.lock from pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(COMPILE) --extra dev -o $(LOCK)
	$(COMPILE) --constraint $(LOCK) --no-annotate -o $(RUNTIME_LOCK)

run: install ## migrate, load the demo region (DEMO=1) and start all three services
	$(BIN)/halsoval run

test: install lint ## lint, types, then the whole suite (HALSOVAL_TEST_DB=postgres selects PostgreSQL)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check shared services tests bench
	$(BIN)/ruff format --check shared services tests bench
	$(BIN)/mypy shared services

bench: install ## make bench SIZE=rjh|stockholm|sweden (PostgreSQL)
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk))) || \
	  echo "wrk is not installed: statement fetch falls back to a slower Python load generator"
	$(BIN)/python -m bench.run --size $(SIZE)

clean:
	rm -rf var .pytest_cache
