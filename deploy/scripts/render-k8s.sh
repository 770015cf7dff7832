#!/usr/bin/env bash
# Render every Kustomize overlay into OUT/<overlay>.yaml, and once more the production
# overlay with every optional component (OUT/production-all-components.yaml), so that the
# components are checked too. KUBECTL names the kubectl to use (default: kubectl).
set -euo pipefail
out=${1:?usage: render-k8s.sh OUT}
kubectl=${KUBECTL:-kubectl}
root=$(cd "$(dirname "$0")/../k8s" && pwd)
mkdir -p "$out"
for overlay in "$root"/overlays/*/; do
    name=$(basename "$overlay")
    "$kubectl" kustomize "$overlay" >"$out/$name.yaml"
done
# Kustomize takes only relative paths: a throwaway kustomization beside the output.
all="$out/production-all-components"
mkdir -p "$all"
{
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "namespace: confidant"
    echo "resources:"
    echo "  - $(realpath --relative-to="$all" "$root/overlays/production")"
    echo "components:"
    for component in "$root"/components/*/; do
        echo "  - $(realpath --relative-to="$all" "$component")"
    done
} >"$all/kustomization.yaml"
"$kubectl" kustomize "$all" >"$out/production-all-components.yaml"
rm -rf "$all"
ls "$out"/*.yaml
