#!/usr/bin/env bash
# `make image-test`: build the image and run it as production would (read-only root
# filesystem, a tmpfs /tmp, a volume on /data, all capabilities dropped, no new
# privileges), then check: it runs as uid 10001, `migrate` applies, `serve` answers
# /healthz, /readyz, /metrics and the web client, Docker's HEALTHCHECK turns healthy, and
# `worker` starts. Not part of `make test`: it needs a Docker engine.
#
# No container registry is reachable on the project's machines, so by default the base
# images are made here: Debian bookworm by debootstrap (python3 is 3.11 there), imported
# with `docker import`, carrying this machine's CA bundle and pip/npm settings so that
# builds reach the package registries through its TLS-inspecting egress; the Node image
# adds this machine's own Node.js. torch's CPU wheel is served from /opt/wheels when it is
# there. Where a registry is reachable, use the real base images instead:
#   NODE_IMAGE=node:22-bookworm-slim PYTHON_IMAGE=python:3.11-slim-bookworm \
#     TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu make image-test
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-confidant:image-test}
WORK=${IMAGE_TEST_DIR:-/tmp/confidant-image-test}
PORT=${IMAGE_TEST_PORT:-18000}
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}  # Debian's docker.io has no buildx plugin
mkdir -p "$WORK"

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'image-test: FAILED: %s\n' "$*" >&2; exit 1; }

if ! docker info >/dev/null 2>&1; then
    fail "no Docker engine answers (start one: apt-get install docker.io; dockerd &)"
fi

# --- base images ---------------------------------------------------------------------
local_bases() {
    local rootfs="$WORK/rootfs"
    if ! docker image inspect confidant-local/python:3.11-bookworm >/dev/null 2>&1; then
        if [ ! -f "$rootfs/.debootstrap-done" ]; then
            say "debootstrap bookworm into $rootfs (a few minutes)"
            command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
            rm -rf "$rootfs"
            debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
                bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log"
            touch "$rootfs/.debootstrap-done"
        fi
        # Debian's python3 is 3.11.2; the official image's is the newest 3.11 (redis-py,
        # for one, wants async-timeout below 3.11.3). This machine's own CPython 3.11 goes
        # into /usr/local as in the official image, without its site-packages.
        local py
        py=$(python3.11 -c 'import sys; print(sys.base_prefix)')
        tar -C "$py" --exclude='./lib/python3.11/site-packages/*' -c . | tar -C "$rootfs/usr/local" -x
        chroot "$rootfs" ldconfig
        cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
        cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
        printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$rootfs/etc/pip.conf"
        rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
        tar -C "$rootfs" -c . | docker import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
            --change 'CMD ["python3"]' - confidant-local/python:3.11-bookworm >/dev/null
    fi
    if ! docker image inspect confidant-local/node:bookworm >/dev/null 2>&1; then
        say "Node.js $(node --version) of this machine onto that base"
        local ctx="$WORK/node-context"
        rm -rf "$ctx" && mkdir -p "$ctx"
        cp "$(readlink -f "$(command -v node)")" "$ctx/node"
        cp -a "$(npm root -g)/npm" "$ctx/npm"
        cat >"$ctx/Dockerfile" <<'EOF'
FROM confidant-local/python:3.11-bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' > /etc/npmrc
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
EOF
        docker build -q -t confidant-local/node:bookworm "$ctx" >/dev/null
    fi
}

if [ "${IMAGE_TEST_BUILD:-1}" != 0 ] && { [ -z "${PYTHON_IMAGE:-}" ] || [ -z "${NODE_IMAGE:-}" ]; }; then
    local_bases
    PYTHON_IMAGE=${PYTHON_IMAGE:-confidant-local/python:3.11-bookworm}
    NODE_IMAGE=${NODE_IMAGE:-confidant-local/node:bookworm}
fi

# --- torch's CPU wheel ---------------------------------------------------------------
INDEX_PID=""
cleanup() {
    [ -n "$INDEX_PID" ] && kill "$INDEX_PID" 2>/dev/null || true
    docker logs confidant-image-test-api >"$WORK/api.log" 2>&1 || true
    docker logs confidant-image-test-worker >"$WORK/worker.log" 2>&1 || true
    docker rm -f confidant-image-test-api confidant-image-test-worker >/dev/null 2>&1 || true
    docker volume rm confidant-image-test-data >/dev/null 2>&1 || true
}
trap cleanup EXIT
if [ "${IMAGE_TEST_BUILD:-1}" != 0 ] && [ -z "${TORCH_INDEX_URL:-}" ]; then
    wheel=$(ls /opt/wheels/torch-2.13.0+cpu-cp311-*.whl 2>/dev/null | head -1 || true)
    [ -n "$wheel" ] || fail "set TORCH_INDEX_URL (no torch CPU wheel in /opt/wheels)"
    mkdir -p "$WORK/simple/torch"
    ln -sf "$wheel" "$WORK/simple/torch/"
    name=$(basename "$wheel")
    printf '<a href="%s">%s</a>\n' "${name//+/%2B}" "$name" >"$WORK/simple/torch/index.html"
    python3 -m http.server 18765 --bind 127.0.0.1 --directory "$WORK/simple" >"$WORK/index.log" 2>&1 &
    INDEX_PID=$!
    TORCH_INDEX_URL=http://127.0.0.1:18765/
fi

# --- build (IMAGE_TEST_BUILD=0: test the image named IMAGE, built elsewhere) ------------
if [ "${IMAGE_TEST_BUILD:-1}" != 0 ]; then
    say "docker build $IMAGE (NODE_IMAGE=$NODE_IMAGE PYTHON_IMAGE=$PYTHON_IMAGE)"
    started=$(date +%s)
    docker build --network host -t "$IMAGE" \
        --build-arg NODE_IMAGE="$NODE_IMAGE" --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" \
        --build-arg TORCH_INDEX_URL="$TORCH_INDEX_URL" . >"$WORK/build.log" 2>&1 \
        || { tail -40 "$WORK/build.log"; fail "docker build (log: $WORK/build.log)"; }
    echo "built in $(( $(date +%s) - started )) s; size $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.2f GB", $1/1e9}')"
fi

# --- run -------------------------------------------------------------------------------
HARDENED=(--read-only --tmpfs /tmp:rw,nosuid,nodev,size=512m --cap-drop ALL
    --security-opt no-new-privileges -v confidant-image-test-data:/data --env-file "$WORK/env")
python3 - >"$WORK/env" <<'EOF'
import base64, os, secrets
print("CONFIDANT_ENV=production")
print("CONFIDANT_JOBS_WORKER=external")
print("CONFIDANT_MASTER_KEY=" + base64.urlsafe_b64encode(os.urandom(32)).decode())
print("CONFIDANT_JWT_SECRET=" + secrets.token_urlsafe(48))
EOF

say "user"
uid=$(docker run --rm --entrypoint id "$IMAGE" -u)
[ "$uid" = 10001 ] || fail "runs as uid $uid, not 10001"
echo "uid $uid"

say "migrate"
docker run --rm "${HARDENED[@]}" "$IMAGE" migrate | tee "$WORK/migrate.log"
grep -q "migrations applied" "$WORK/migrate.log" || fail "migrate"

say "serve"
docker run -d --name confidant-image-test-api -p "127.0.0.1:$PORT:8000" "${HARDENED[@]}" \
    --health-interval 5s "$IMAGE" >/dev/null
get() { python3 -c "import sys, urllib.request as u; r = u.urlopen(sys.argv[1], timeout=5); print(r.status); sys.stdout.write(r.read().decode(errors='replace'))" "$1"; }
for _ in $(seq 60); do get "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 2; done
get "http://127.0.0.1:$PORT/healthz" || { docker logs confidant-image-test-api | tail -30; fail "/healthz"; }
echo
ready=""
for _ in $(seq 90); do
    if out=$(get "http://127.0.0.1:$PORT/readyz" 2>/dev/null); then ready=$out; break; fi
    sleep 2
done
[ -n "$ready" ] || { docker logs confidant-image-test-api | tail -30; fail "/readyz never answered 200"; }
echo "/readyz: $ready"
get "http://127.0.0.1:$PORT/metrics" | grep -q '^confidant_http_requests_total' || fail "/metrics"
get "http://127.0.0.1:$PORT/" | grep -qi '<!doctype html' || fail "the web client at /"
for _ in $(seq 30); do
    health=$(docker inspect -f '{{.State.Health.Status}}' confidant-image-test-api)
    [ "$health" = healthy ] && break; sleep 2
done
[ "$health" = healthy ] || fail "HEALTHCHECK says $health"
echo "HEALTHCHECK: $health"

say "worker"
docker run -d --name confidant-image-test-worker "${HARDENED[@]}" --no-healthcheck \
    "$IMAGE" worker >/dev/null
sleep 20
[ "$(docker inspect -f '{{.State.Running}}' confidant-image-test-worker)" = true ] \
    || { docker logs confidant-image-test-worker | tail -30; fail "worker exited"; }
echo "worker running"
docker logs confidant-image-test-api 2>&1 | tail -5
say "image-test passed"
