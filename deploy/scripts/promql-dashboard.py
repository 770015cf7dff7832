"""Every query of a Grafana dashboard as a Prometheus rules file, for `promtool check rules`.

Usage: promql-dashboard.py DASHBOARD.json > rules.yaml

Grafana's own variables ($__rate_interval, $__interval, $__range) become fixed ranges;
the dashboard must use only those, and only Prometheus data sources.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def targets(panels: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for panel in panels:
        yield from targets(panel.get("panels", []))
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def main(path: str) -> None:
    with open(path) as handle:
        dashboard = json.load(handle)
    rules = []
    for number, (title, expr) in enumerate(targets(dashboard["panels"])):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        left = re.findall(r"\$\w+", expr)
        if left:
            sys.exit(f"{path}: panel {title!r} uses unknown variables {left}")
        rules.append({"record": f"dashboard:query_{number}", "expr": expr})
    if not rules:
        sys.exit(f"{path}: no queries found")
    json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
