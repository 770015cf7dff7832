"""The deployment files say what deploy/README.md promises: hardened pods with probes,
migrations before the API, no secret written down anywhere, a default-deny network, and a
compose file whose secrets come only from the user's .env.

The Kubernetes overlays are rendered with `kubectl kustomize` (kubectl on PATH, or the
pinned one `make deploy-check` extracts into .venv-deploy/bin). Each checker is also run
on a deliberately bad document, so that a checker that can no longer fail is caught.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import required_in_ci

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
COMPONENTS = sorted(p.name for p in (K8S / "components").iterdir() if p.is_dir())
UID = 10001

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "Pod"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|(^|_)KEY$|API_KEY|MASTER_KEY", re.I)
KEY_LIKE = re.compile(r"^[A-Za-z0-9+/_=-]{32,}$")
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s:]+:[^/@\s]+@")
# Ports the base may open for egress: DNS, PostgreSQL, Redis, Qdrant (HTTP and gRPC).
BASE_EGRESS_PORTS = {53, 5432, 6379, 6333, 6334}
# What the optional components add: https (feeds, object store, RPC), vLLM, an RPC node.
COMPONENT_EGRESS_PORTS = {443, 8000, 8545}


# --- rendering ---------------------------------------------------------------------------


def _kubectl() -> str:
    found = shutil.which("kubectl") or str(ROOT / ".venv-deploy" / "bin" / "kubectl")
    if not os.access(found, os.X_OK):
        required_in_ci("no kubectl (on PATH or in .venv-deploy/bin: `make deploy-check` makes one)")
    return found


def _kustomize(directory: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [_kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Each overlay, and production with every optional component."""
    out = {name: _kustomize(K8S / "overlays" / name) for name in OVERLAYS}
    combined = tmp_path_factory.mktemp("all-components")
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        # As when the components are added to the production overlay itself.
        "namespace": "confidant",
        "resources": [os.path.relpath(K8S / "overlays" / "production", combined)],
        "components": [os.path.relpath(K8S / "components" / c, combined) for c in COMPONENTS],
    }
    (combined / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    out["production+components"] = _kustomize(combined)
    return out


def _all_rendered() -> list[str]:
    return [*OVERLAYS, "production+components"]


def _find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]


def _one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = _find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "Pod":
        return dict(doc["spec"])
    return dict(doc["spec"]["template"]["spec"])


def _containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from pod.get("initContainers", [])
    yield from pod.get("containers", [])


def _api_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    pod = _pod_spec(_one(docs, "Deployment", "confidant-api"))
    (api,) = [c for c in pod["containers"] if c["name"] == "api"]
    return api


# --- checkers (each also run on a bad document below) -----------------------------------


def hardening_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Every container of every workload: non-root uid 10001, read-only root filesystem,
    no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, /tmp an
    emptyDir, and CPU and memory requests and limits."""
    problems = []
    for doc in docs:
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        pod = _pod_spec(doc)
        pod_sc = pod.get("securityContext", {})
        empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for container in _containers(pod):
            where = f"{doc['kind']}/{doc['metadata']['name']}:{container['name']}"
            sc = container.get("securityContext", {})
            # The container's setting, else the pod's.
            effective = {**pod_sc, **sc}
            if effective.get("runAsNonRoot") is not True:
                problems.append(f"{where}: runAsNonRoot is not true")
            if effective.get("runAsUser") != UID:
                problems.append(f"{where}: runAsUser is not {UID}")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: root filesystem is not read-only")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: privilege escalation is not forbidden")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                problems.append(f"{where}: capabilities are not all dropped")
            if sc.get("capabilities", {}).get("add"):
                problems.append(f"{where}: adds capabilities")
            if (effective.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccomp profile is not RuntimeDefault")
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if mounts.get("/tmp") not in empty_dirs:
                problems.append(f"{where}: /tmp is not an emptyDir")
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(bound, {}):
                        problems.append(f"{where}: no {resource} {bound}")
    return problems


def literal_secret_problems(docs: list[dict[str, Any]]) -> list[str]:
    """No Secret object at all (it is created by hand: deploy/README.md), no env value or
    ConfigMap entry that is named like a secret or looks like a key, no credentials in a
    URL, and every secret reference names `confidant-secrets`."""
    problems = []
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "Secret":
            problems.append(f"{name}: a Secret object in the manifests")
        if doc["kind"] == "ConfigMap":
            for key, value in (doc.get("data") or {}).items():
                problems += _literal_problems(f"{name}:{key}", key, str(value))
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        pod = _pod_spec(doc)
        for container in _containers(pod):
            where = f"{name}:{container['name']}"
            for env in container.get("env", []):
                if "value" in env:
                    problems += _literal_problems(
                        f"{where}:{env['name']}", env["name"], env["value"]
                    )
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref.get("name") != "confidant-secrets":
                    problems.append(f"{where}:{env['name']}: secret {ref.get('name')!r}")
            for source in container.get("envFrom", []):
                ref = source.get("secretRef")
                if ref and ref.get("name") != "confidant-secrets":
                    problems.append(f"{where}: envFrom secret {ref.get('name')!r}")
        for volume in pod.get("volumes", []):
            secret = volume.get("secret")
            if secret and secret.get("secretName") != "confidant-secrets":
                problems.append(f"{name}: volume of secret {secret.get('secretName')!r}")
    return problems


def _literal_problems(where: str, key: str, value: str) -> list[str]:
    problems = []
    if SECRET_NAME.search(key) and value:
        problems.append(f"{where}: a literal value for a secret-like name")
    if KEY_LIKE.match(value):
        problems.append(f"{where}: a value that looks like a key")
    if CREDENTIALS_IN_URL.search(value):
        problems.append(f"{where}: credentials in a URL")
    return problems


def default_deny_problems(docs: list[dict[str, Any]]) -> list[str]:
    """A NetworkPolicy selecting every pod with both policy types and no rule at all."""
    for doc in _find(docs, "NetworkPolicy"):
        spec = doc["spec"]
        if (
            spec.get("podSelector") in ({}, None)
            and {"Ingress", "Egress"} <= set(spec.get("policyTypes", []))
            and not spec.get("ingress")
            and not spec.get("egress")
        ):
            return []
    return ["no default-deny NetworkPolicy for ingress and egress"]


def egress_ports(docs: list[dict[str, Any]]) -> set[int]:
    ports = set()
    for doc in _find(docs, "NetworkPolicy"):
        for rule in doc["spec"].get("egress", []):
            assert rule.get("ports"), f"{doc['metadata']['name']}: an egress rule on every port"
            ports |= {int(p["port"]) for p in rule["ports"]}
    return ports


def secret_interpolation_problems(compose: dict[str, Any], text: str) -> list[str]:
    """Every secret-like variable of compose.yaml is `${VAR:?message}`: required, with no
    default, and nothing secret-like is written down as a literal."""
    problems = []
    for match in re.finditer(r"\$\{(\w+)(:?[-?+])?([^}]*)\}", text):
        variable, operator = match.group(1), match.group(2) or ""
        if SECRET_NAME.search(variable) and operator != ":?":
            problems.append(f"${{{variable}}} is not required with :? ({match.group(0)})")
    for service, config in compose["services"].items():
        environment = config.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        for key, value in environment.items():
            value = "" if value is None else str(value)
            if SECRET_NAME.search(key) and not re.fullmatch(r"\$\{\w+:\?[^}]+\}", value):
                problems.append(f"{service}: {key} is not taken from .env with ${{VAR:?...}}")
            if KEY_LIKE.match(value) or CREDENTIALS_IN_URL.search(value):
                problems.append(f"{service}: {key} holds a literal secret")
    return problems


# --- Kubernetes --------------------------------------------------------------------------


def test_there_are_overlays() -> None:
    assert {"single-node", "production"} <= set(OVERLAYS)
    assert {"egress-llm", "egress-news-feeds", "egress-object-store", "egress-anchor-rpc"} <= set(
        COMPONENTS
    )


@pytest.mark.parametrize("overlay", _all_rendered())
def test_api_has_liveness_readiness_and_startup_probes(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    api = _api_container(rendered[overlay])
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    startup = api["startupProbe"]
    assert startup["httpGet"]["path"] == "/healthz"
    # Model preparation on the first start takes about a minute: allow several.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 180


@pytest.mark.parametrize("overlay", _all_rendered())
def test_every_container_is_hardened(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = rendered[overlay]
    assert len([d for d in docs if d["kind"] in WORKLOAD_KINDS]) >= 2
    assert hardening_problems(docs) == []


def test_hardening_checker_catches_a_weak_container(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    weak = yaml.safe_load(
        yaml.safe_dump(_one(rendered["production"], "Deployment", "confidant-api"))
    )
    pod = weak["spec"]["template"]["spec"]
    pod["containers"][0]["securityContext"]["runAsUser"] = 0
    pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    pod["containers"][0]["securityContext"]["capabilities"] = {"drop": ["NET_RAW"]}
    problems = hardening_problems([weak])
    assert any("root filesystem" in p for p in problems)
    assert any("capabilities" in p for p in problems)
    assert any("runAsUser" in p for p in problems)


@pytest.mark.parametrize("overlay", _all_rendered())
def test_no_literal_secret_anywhere(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    assert literal_secret_problems(rendered[overlay]) == []


def test_secret_checker_catches_literals() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a": "b"}}
    config = {
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"CONFIDANT_DATABASE_URL": "postgresql+asyncpg://confidant:hunter2@db/confidant"},
    }
    pod = {
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "env": [
                        {"name": "CONFIDANT_JWT_SECRET", "value": "changeme"},
                        {"name": "OTHER", "value": "q" * 40},
                    ],
                }
            ]
        },
    }
    problems = literal_secret_problems([secret, config, pod])
    assert len(problems) == 4, problems


def test_no_secret_generator_or_secret_file_in_the_kustomizations() -> None:
    for path in K8S.rglob("*.yaml"):
        text = path.read_text()
        assert "secretGenerator" not in text, path
        for doc in yaml.safe_load_all(text):
            assert not (doc or {}).get("kind") == "Secret", path


@pytest.mark.parametrize("overlay", _all_rendered())
def test_secrets_come_from_confidant_secrets(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    api = _api_container(rendered[overlay])
    refs = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in api["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    for required in (
        "CONFIDANT_MASTER_KEY",
        "CONFIDANT_JWT_SECRET",
        "CONFIDANT_LEDGER_SIGNING_KEY",
    ):
        assert refs[required] == {"name": "confidant-secrets", "key": required}
    assert refs["PGPASSWORD"] == {"name": "confidant-secrets", "key": "POSTGRES_PASSWORD"}


@pytest.mark.parametrize("overlay", _all_rendered())
def test_network_is_default_deny_with_an_allow_list(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = rendered[overlay]
    assert default_deny_problems(docs) == []
    allowed = BASE_EGRESS_PORTS | (COMPONENT_EGRESS_PORTS if "components" in overlay else set())
    ports = egress_ports(docs)
    assert ports <= allowed
    assert BASE_EGRESS_PORTS <= ports
    if "components" in overlay:
        assert COMPONENT_EGRESS_PORTS <= ports
    (dns,) = _find(docs, "NetworkPolicy", "confidant-allow-dns")
    (rule,) = dns["spec"]["egress"]
    assert rule["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
    assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {("UDP", 53), ("TCP", 53)}


def test_default_deny_checker_catches_a_half_policy() -> None:
    ingress_only = {
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    assert default_deny_problems([ingress_only]) != []


@pytest.mark.parametrize("overlay", _all_rendered())
def test_migrations_run_before_the_api_and_the_worker(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = rendered[overlay]
    jobs = [j for j in _find(docs, "Job") if "migrate" in _pod_spec(j)["containers"][0]["args"]]
    for name in ("confidant-api", "confidant-worker"):
        pod = _pod_spec(_one(docs, "Deployment", name))
        init_args = [c.get("args", []) for c in pod.get("initContainers", [])]
        assert ["migrate"] in init_args or jobs, f"{name}: no migration before it starts"


@pytest.mark.parametrize("overlay", _all_rendered())
def test_hpa_is_autoscaling_v2_on_cpu_and_a_pdb_guards_the_api(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = rendered[overlay]
    hpa = _one(docs, "HorizontalPodAutoscaler", "confidant-api")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == "confidant-api"
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    pdb = _one(docs, "PodDisruptionBudget", "confidant-api")
    api = _one(docs, "Deployment", "confidant-api")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"] == api["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("overlay", _all_rendered())
def test_data_dir_is_a_volume_claim_and_everything_has_a_namespace(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = rendered[overlay]
    _one(docs, "PersistentVolumeClaim", "confidant-data")
    config = _one(docs, "ConfigMap", "confidant-config")
    assert config["data"]["CONFIDANT_DATA_DIR"] == "/data"
    assert config["data"]["CONFIDANT_ENV"] == "production"
    assert config["data"]["CONFIDANT_JOBS_WORKER"] == "external"
    for name in ("confidant-api", "confidant-worker"):
        pod = _pod_spec(_one(docs, "Deployment", name))
        claims = {
            v["name"]: v["persistentVolumeClaim"]["claimName"]
            for v in pod["volumes"]
            if "persistentVolumeClaim" in v
        }
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        assert claims[mounts["/data"]] == "confidant-data"
        assert pod["automountServiceAccountToken"] is False
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "confidant", doc["metadata"]["name"]


def test_the_base_is_namespace_agnostic() -> None:
    for doc in _kustomize(K8S / "base"):
        assert "namespace" not in doc["metadata"], doc["metadata"]["name"]
        assert doc["kind"] != "Namespace"


def test_production_shares_data_dir_across_nodes(rendered: dict[str, list[dict[str, Any]]]) -> None:
    pvc = _one(rendered["production"], "PersistentVolumeClaim", "confidant-data")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]


# --- compose -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (ROOT / "compose.yaml").read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(compose_text)
    return loaded


CONFIDANT_SERVICES = ("migrate", "api", "worker")


def test_compose_secrets_only_from_env_interpolation(
    compose: dict[str, Any], compose_text: str
) -> None:
    assert secret_interpolation_problems(compose, compose_text) == []
    required = set(re.findall(r"\$\{(\w+):\?", compose_text))
    assert {
        "CONFIDANT_MASTER_KEY",
        "CONFIDANT_JWT_SECRET",
        "CONFIDANT_LEDGER_SIGNING_KEY",
        "POSTGRES_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    } <= required
    for service in CONFIDANT_SERVICES:
        env_files = compose["services"][service]["env_file"]
        assert [e if isinstance(e, str) else e["path"] for e in env_files] == [".env"]


def test_compose_secret_checker_catches_defaults_and_literals() -> None:
    text = "a: ${POSTGRES_PASSWORD:-postgres}\nb: ${CONFIDANT_JWT_SECRET}\n"
    compose = {"services": {"x": {"environment": {"CONFIDANT_MASTER_KEY": "k" * 44}}}}
    problems = secret_interpolation_problems(compose, text)
    assert len(problems) == 4, problems


def test_compose_migrate_runs_before_api_and_worker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_api_waits_for_a_healthy_postgres(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["api"]["command"][0] == "serve"
    assert "--workers" in services["api"]["command"]


def test_compose_confidant_services_are_hardened(compose: dict[str, Any]) -> None:
    for name in CONFIDANT_SERVICES:
        service = compose["services"][name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert service["user"] == f"{UID}:{UID}", name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert any(t.startswith("/tmp") for t in service["tmpfs"]), name
        assert "confidant-data:/data" in service["volumes"], name
        assert service["environment"]["CONFIDANT_ENV"] == "production", name


def test_compose_uses_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith("."):
                assert source in declared, f"{name}: {source} is not a named volume"


def test_compose_mounts_the_monitoring_files(compose: dict[str, Any]) -> None:
    for service in ("prometheus", "grafana"):
        for volume in compose["services"][service]["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), source


# --- image -------------------------------------------------------------------------------


def test_dockerfile_runs_unprivileged_with_a_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    runtime = text.split("AS runtime", 1)[1]
    assert f"USER {UID}:{UID}" in runtime
    assert 'VOLUME ["/data"]' in runtime
    healthcheck = runtime.split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    assert "/healthz" in healthcheck
    assert 'ENTRYPOINT ["confidant"]' in runtime
    assert "CONFIDANT_DATA_DIR=/data" in runtime
    assert "--require-hashes --no-deps -r requirements/main.txt" in text
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in text
    assert "ARG TORCH_VERSION=2.13.0" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "web/node_modules", "web/dist", ".env"} <= set(ignored)


# --- monitoring --------------------------------------------------------------------------

# The request metrics (confidant_http_*) and the confidant:* ones, all in app/metrics.py.
SERVICE_METRICS = {
    "confidant:time_to_first_token_seconds",
    "confidant:inter_token_latency_seconds",
    "confidant:e2e_request_latency_seconds",
    "confidant:num_requests_running",
    "confidant:num_requests_waiting",
    "confidant:generation_tokens_total",
    "confidant:adapters_resident",
    "confidant:jobs_queued",
    "confidant:jobs_oldest_queued_age_seconds",
    "confidant:ledger_tree_size",
    "confidant:ledger_sequencing_lag_leaves",
    "confidant:ledger_checkpoint_age_seconds",
    "confidant:voice_turn_seconds",
}
METRIC = re.compile(r"\b(confidant[:_][a-z0-9_:]+)")


def _http_metrics() -> set[str]:
    source = (ROOT / "src" / "confidant" / "app" / "metrics.py").read_text()
    return set(re.findall(r'(?:Counter|Histogram)\(\s*"(confidant_[a-z_]+)"', source))


def unknown_metrics(expr: str, known: set[str]) -> set[str]:
    found = set()
    for name in METRIC.findall(expr):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in known and base not in known:
            found.add(name)
    return found


def test_alerts_use_real_metrics_and_are_labelled() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yaml").read_text())
    known = _http_metrics() | SERVICE_METRICS
    assert {"confidant_http_requests_total", "confidant_http_request_duration_seconds"} <= known
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert {
        "ConfidantHighErrorRate",
        "ConfidantHighLatencyP99",
        "ConfidantJobQueueStale",
        "ConfidantLedgerCheckpointStale",
        "ConfidantLedgerSequencingLag",
    } <= set(alerts)
    for name, rule in alerts.items():
        assert unknown_metrics(rule["expr"], known) == set(), name
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name
    assert "confidant_http_requests_total" in alerts["ConfidantHighErrorRate"]["expr"]
    assert 'status=~"5.."' in alerts["ConfidantHighErrorRate"]["expr"]
    assert "0.99" in alerts["ConfidantHighLatencyP99"]["expr"]


def test_metric_checker_catches_a_misspelt_metric() -> None:
    assert unknown_metrics("rate(confidant_http_request_total[5m])", _http_metrics()) == {
        "confidant_http_request_total"
    }


def test_dashboard_shows_every_service_metric() -> None:
    import json

    dashboard = json.loads((ROOT / "deploy" / "grafana" / "confidant.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    known = _http_metrics() | SERVICE_METRICS
    used = set()
    for expr in exprs:
        assert unknown_metrics(expr, known) == set(), expr
        used |= {re.sub(r"_(bucket|sum|count)$", "", m) for m in METRIC.findall(expr)}
    assert known <= used, known - used
    datasource = ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yaml"
    uid = yaml.safe_load(datasource.read_text())["datasources"][0]["uid"]
    assert {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p} == {uid}
