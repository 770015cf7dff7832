"""The import graph keeps the shape of docs/ARCHITECTURE.md: no cycles between packages,
kit/ and crypto/ below every domain, routers imported by the app factory alone, and the
runtime imported at run time by the entry points alone.

Imports under `if TYPE_CHECKING:` are left out: they never run."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import grimp
import pytest

ROOT = "confidant"
EDGE = "app"
# Routers and WebSocket handlers are the HTTP edge wherever they sit; so are the FastAPI
# dependencies they share (auth's `dependencies.py`: who is calling).
ROUTER_MODULE_NAMES = frozenset({"router", "ws"})
EDGE_MODULE_NAMES = ROUTER_MODULE_NAMES | {"dependencies"}
APP_FACTORY = f"{ROOT}.main"
RUNTIME = f"{ROOT}.runtime"
ENTRY_POINTS = frozenset({APP_FACTORY, f"{ROOT}.cli", RUNTIME, f"{ROOT}.__main__"})
FOUNDATIONS = frozenset({"kit", "crypto"})
# What kit/ and crypto/ may use besides each other: the settings and the package root.
BELOW_DOMAINS = FOUNDATIONS | {"config", ROOT}
IMPORTS_SHOWN_PER_ARROW = 3


@dataclass(frozen=True)
class Arrow:
    """One package importing another, and the module imports behind it."""

    importer: str
    imported: str
    imports: tuple[str, ...]


def build_graph() -> grimp.ImportGraph:
    return grimp.build_graph(ROOT, exclude_type_checking_imports=True, cache_dir=None)


def is_edge_module(module: str) -> bool:
    return module.rsplit(".", 1)[-1] in EDGE_MODULE_NAMES


def is_router_module(module: str) -> bool:
    return module.rsplit(".", 1)[-1] in ROUTER_MODULE_NAMES


def unit_of(module: str) -> str:
    """The package a module counts in: `confidant.X` for everything under it, the edge
    for routers and WebSocket handlers, `confidant` for the package root."""
    if is_edge_module(module):
        return EDGE
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def module_imports(graph: grimp.ImportGraph) -> Iterator[tuple[str, str]]:
    """Every (importer, imported) pair inside the package."""
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported == ROOT or imported.startswith(f"{ROOT}."):
                yield importer, imported


def describe(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    """`a.b:12 from x import y`, or `a.b imports x.y` when the graph has no line."""
    details = graph.get_import_details(importer=importer, imported=imported)
    if not details:
        return f"{importer} imports {imported}"
    first = details[0]
    return f"{importer}:{first['line_number']} {first['line_contents']}"


def package_arrows(graph: grimp.ImportGraph) -> dict[tuple[str, str], Arrow]:
    """The imports between packages, grouped by (importer package, imported package)."""
    found: dict[tuple[str, str], list[str]] = {}
    for importer, imported in module_imports(graph):
        pair = (unit_of(importer), unit_of(imported))
        if pair[0] != pair[1]:
            found.setdefault(pair, []).append(describe(graph, importer, imported))
    return {pair: Arrow(*pair, tuple(lines)) for pair, lines in found.items()}


def shortest_cycle(start: str, successors: dict[str, set[str]]) -> list[str] | None:
    """The shortest path start -> ... -> start, as the packages on it (start once)."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        unit = queue.popleft()
        for following in sorted(successors.get(unit, ())):
            if following == start:
                path = [unit]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if following not in came_from:
                came_from[following] = unit
                queue.append(following)
    return None


def package_cycles(arrows: Iterable[Arrow]) -> list[list[str]]:
    """The distinct shortest cycles between packages, one through each package on any."""
    successors: dict[str, set[str]] = {}
    for arrow in arrows:
        successors.setdefault(arrow.importer, set()).add(arrow.imported)
    cycles: dict[frozenset[tuple[str, str]], list[str]] = {}
    for unit in sorted(successors):
        cycle = shortest_cycle(unit, successors)
        if cycle is not None:
            steps = frozenset(zip(cycle, cycle[1:] + cycle[:1], strict=True))
            cycles.setdefault(steps, cycle)
    return sorted(cycles.values(), key=lambda cycle: (len(cycle), cycle))


def explain_cycle(cycle: list[str], arrows: dict[tuple[str, str], Arrow]) -> str:
    lines = [" -> ".join([*cycle, cycle[0]])]
    for step in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        arrow = arrows[step]
        lines.append(f"  {arrow.importer} -> {arrow.imported}:")
        lines += [f"    {line}" for line in arrow.imports[:IMPORTS_SHOWN_PER_ARROW]]
        if len(arrow.imports) > IMPORTS_SHOWN_PER_ARROW:
            lines.append(f"    ... and {len(arrow.imports) - IMPORTS_SHOWN_PER_ARROW} more")
    return "\n".join(lines)


def cycle_report(graph: grimp.ImportGraph) -> list[str]:
    """One readable paragraph per cycle between packages."""
    arrows = package_arrows(graph)
    return [explain_cycle(cycle, arrows) for cycle in package_cycles(arrows.values())]


def foundation_violations(graph: grimp.ImportGraph) -> list[str]:
    """kit/ or crypto/ importing anything above them (a domain, the edge, the runtime)."""
    return [
        describe(graph, importer, imported)
        for importer, imported in module_imports(graph)
        if unit_of(importer) in FOUNDATIONS and unit_of(imported) not in BELOW_DOMAINS
    ]


def router_violations(graph: grimp.ImportGraph) -> list[str]:
    """A router or WebSocket module imported by anything but the app factory."""
    return [
        describe(graph, importer, imported)
        for importer, imported in module_imports(graph)
        if is_router_module(imported) and importer != APP_FACTORY
    ]


def runtime_violations(graph: grimp.ImportGraph) -> list[str]:
    """The runtime imported at run time by anything but an entry point."""
    return [
        describe(graph, importer, RUNTIME)
        for importer in sorted(graph.find_modules_that_directly_import(RUNTIME))
        if importer not in ENTRY_POINTS
    ]


def repository_violations(graph: grimp.ImportGraph) -> list[str]:
    """A domain's repository (its queries) imported from outside that domain's own
    non-edge modules: other domains and routers go through its service."""
    return [
        describe(graph, importer, imported)
        for importer, imported in module_imports(graph)
        if imported.rsplit(".", 1)[-1] == "repository"
        and unit_of(imported) not in FOUNDATIONS
        and unit_of(importer) != unit_of(imported)
    ]


def fail_listing(problem: str, found: list[str], remedy: str) -> None:
    if found:
        lines = "\n".join(f"  {line}" for line in found)
        pytest.fail(f"{problem} ({remedy}):\n{lines}", pytrace=False)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return build_graph()


def test_no_cycles_between_packages(graph: grimp.ImportGraph) -> None:
    cycles = cycle_report(graph)
    if cycles:
        pytest.fail(
            "Import cycles between packages (break each with a hook the lower package "
            "offers, or move the shared piece down):\n\n" + "\n\n".join(cycles),
            pytrace=False,
        )


def test_kit_and_crypto_import_no_domain(graph: grimp.ImportGraph) -> None:
    fail_listing(
        "kit/ or crypto/ imports a domain, the edge or the runtime",
        foundation_violations(graph),
        "they sit below every domain",
    )


def test_only_the_app_factory_imports_routers(graph: grimp.ImportGraph) -> None:
    fail_listing(
        "A router or WebSocket module is imported outside main.py",
        router_violations(graph),
        "move what is shared into the domain's service or schemas",
    )


def test_only_entry_points_import_the_runtime(graph: grimp.ImportGraph) -> None:
    fail_listing(
        "confidant.runtime is imported at run time outside main.py, cli.py and runtime.py",
        runtime_violations(graph),
        "import Runtime under `if TYPE_CHECKING:`, or take the narrow piece you use",
    )


def test_repositories_are_private_to_their_domain(graph: grimp.ImportGraph) -> None:
    fail_listing(
        "A domain's repository is imported from outside the domain's services",
        repository_violations(graph),
        "call the domain's service; models and schemas are the public types",
    )


# --- the checks themselves, on graphs built by hand ---------------------------------------


def synthetic_graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(
            importer=importer,
            imported=imported,
            line_number=1,
            line_contents=f"import {imported}",
        )
    return graph


def test_a_cycle_between_packages_is_reported_with_its_imports() -> None:
    graph = synthetic_graph(
        ("confidant.users.service", "confidant.rag.tasks"),
        ("confidant.rag.tasks", "confidant.users.models"),
        ("confidant.rag.service", "confidant.kit.db"),
    )
    assert cycle_report(graph) == [
        "rag -> users -> rag\n"
        "  rag -> users:\n"
        "    confidant.rag.tasks:1 import confidant.users.models\n"
        "  users -> rag:\n"
        "    confidant.users.service:1 import confidant.rag.tasks"
    ]


def test_a_longer_cycle_is_reported_once() -> None:
    graph = synthetic_graph(
        ("confidant.a.service", "confidant.b.service"),
        ("confidant.b.service", "confidant.c.service"),
        ("confidant.c.service", "confidant.a.models"),
    )
    assert [report.splitlines()[0] for report in cycle_report(graph)] == ["a -> b -> c -> a"]


def test_routers_count_as_the_edge_not_their_domain() -> None:
    graph = synthetic_graph(
        ("confidant.rag.router", "confidant.jobs.service"),
        ("confidant.jobs.service", "confidant.rag.models"),
        ("confidant.app.deps", "confidant.kit.db"),
    )
    assert cycle_report(graph) == []


def test_the_other_rules_report_their_violations() -> None:
    graph = synthetic_graph(
        ("confidant.kit.db", "confidant.users.models"),
        ("confidant.rag.router", "confidant.jobs.router"),
        ("confidant.main", "confidant.rag.router"),
        ("confidant.diary.service", "confidant.runtime"),
        ("confidant.cli", "confidant.runtime"),
        ("confidant.chats.ws", "confidant.chats.repository"),
        ("confidant.chats.service", "confidant.chats.repository"),
        ("confidant.diary.service", "confidant.kit.repository"),
    )
    assert foundation_violations(graph) == ["confidant.kit.db:1 import confidant.users.models"]
    assert router_violations(graph) == ["confidant.rag.router:1 import confidant.jobs.router"]
    assert runtime_violations(graph) == ["confidant.diary.service:1 import confidant.runtime"]
    assert repository_violations(graph) == [
        "confidant.chats.ws:1 import confidant.chats.repository"
    ]
