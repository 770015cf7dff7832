# Confidant: `make run` serves with embedded defaults; `make test` runs lint, types and tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION := 2.13.0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev system-deps lint typecheck pytest bench clean

run: install
	$(BIN)/confidant migrate
	$(BIN)/confidant serve --host $(HOST) --port $(PORT)

test: install-dev lint typecheck pytest

# Debian packages the build needs; installed only when missing.
# python3-venv for the virtual environment; espeak-ng is the offline text-to-speech engine.
system-deps:
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/python: | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first and pinned: an unpinned torch pulls gigabytes of CUDA packages.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==$(TORCH_VERSION)
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: system-deps $(VENV)/.installed
install-dev: system-deps $(VENV)/.installed-dev

lint: install-dev
	$(BIN)/ruff check src tests bench migrations migrations_keystore
	$(BIN)/ruff format --check src tests bench migrations migrations_keystore

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python bench/api.py
	$(BIN)/python bench/chat.py
	$(BIN)/python bench/wellbeing.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
