"""Web client benchmark (issue 18, Performance), on real components.

1. JavaScript the landing route loads, gzipped: web/dist/index.html's module script and
   modulepreload links, followed through the Vite manifest when the build writes one,
   else through each chunk's static imports (dynamic imports, the lazy routes, are left
   out). Builds the client first when web/dist is missing or older than its sources.
   Target <= 170 kB gzipped (zlib level 6, 1 kB = 1000 bytes).
2. Lighthouse 12.2.3 (bench/lighthouse) with Debian's Chromium on the landing page and a
   guest's chat page, served by a real `confidant serve` (fresh DATA_DIR, the bundled
   model, CONFIDANT_WEB_DIST_DIR=web/dist). Desktop preset and the mobile default.
   Targets: performance >= 90, accessibility 100.
3. Send -> first reply text painted, minus the API's own time to first delta, measured
   in the same run by web/e2e/perf/send-to-paint.perf.ts (the client's Playwright).
   Target: p50 <= 50 ms over at least 20 turns. The API's TTFD is measured from the same
   page in a second chat kept in lockstep (over WebSocket, the client's transport, and
   over SSE); the page also notes when the client's own socket sent the message and got
   the first delta, which gives the same figure against that very message's TTFD.

Run: PYTHONPATH=src .venv/bin/python bench/web.py   (see docs/BENCHMARKS.md)
Every phase has a time limit; a phase that fails or runs out of time is reported as such
and the others still run. Figures are printed whether or not they meet their targets.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
DIST = WEB / "dist"
LIGHTHOUSE = ROOT / "bench" / "lighthouse"
MODELS_CACHE = WEB / ".cache" / "models"  # shared with the e2e tests (playwright.config.ts)
RESULTS = ROOT / "bench" / "results"

TARGET_LANDING_KB = 170.0
TARGET_PERFORMANCE = 90
TARGET_ACCESSIBILITY = 100
TARGET_PAINT_OVERHEAD_MS = 50.0
GZIP_LEVEL = 6
# What `vite build` reads (web/e2e and the tests do not change its output).
BUILD_INPUTS = [
    "src",
    "public",
    "index.html",
    "vite.config.ts",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "tsconfig.app.json",
]


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSED"


def say(line: str = "") -> None:
    print(line, flush=True)


@dataclass
class Phase:
    name: str
    limit: float

    def remaining(self, started: float) -> float:
        return max(1.0, self.limit - (time.monotonic() - started))


@contextmanager
def phase(name: str, limit: float) -> Iterator[Phase]:
    started = time.monotonic()
    say(f"\n== {name} (limit {limit:.0f} s)")
    try:
        yield Phase(name, limit)
    except subprocess.TimeoutExpired as exc:
        say(f"{name}: ran out of time ({exc.timeout:.0f} s): {' '.join(map(str, exc.cmd))[:200]}")
    except Exception as exc:  # a failed phase is reported, the next one still runs
        say(f"{name}: FAILED: {type(exc).__name__}: {exc}")
    finally:
        say(f"-- {name}: {time.monotonic() - started:.0f} s")


def run(command: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    say("$ " + " ".join(command))
    return subprocess.run(command, timeout=timeout, check=True, text=True, **kwargs)


# --- 1. the landing route's JavaScript -------------------------------------------------


def newest_input() -> float:
    newest = 0.0
    for name in BUILD_INPUTS:
        path = WEB / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for file in path.rglob("*"):
                if file.is_file():
                    newest = max(newest, file.stat().st_mtime)
    return newest


def ensure_build(limit: float) -> None:
    started = time.monotonic()
    if not (WEB / "node_modules" / ".package-lock.json").is_file() or (
        (WEB / "package-lock.json").stat().st_mtime
        > (WEB / "node_modules" / ".package-lock.json").stat().st_mtime
    ):
        run(["npm", "ci", "--prefix", str(WEB)], timeout=limit)
    index = DIST / "index.html"
    if not index.is_file():
        say("web/dist is missing: building")
    elif newest_input() > index.stat().st_mtime:
        say("web/dist is older than its sources: building")
    else:
        say("web/dist is up to date")
        return
    run(
        ["npm", "--prefix", str(WEB), "run", "build"],
        timeout=max(1.0, limit - (time.monotonic() - started)),
    )


class EntryParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.modules: list[str] = []
        self.preloads: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("type") == "module" and a.get("src"):
            self.modules.append(a["src"])
        elif tag == "link" and a.get("rel") == "modulepreload" and a.get("href"):
            self.preloads.append(a["href"])
        elif tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.styles.append(a["href"])


# Static `import ... from "x"`, `import "x"` and `export ... from "x"` in a built chunk
# (a fallback when es-module-lexer, which Vite's toolchain ships, is not there).
STATIC_IMPORT = re.compile(
    r"""(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w$*{}\s,]*?\s*from\s*)?["']([^"']+)["']"""
)
LEXER = """
import { init, parse } from 'es-module-lexer'
import { readFileSync } from 'node:fs'
await init
const out = {}
for (const file of process.argv.slice(1)) {
  const [imports] = parse(readFileSync(file, 'utf8'))
  out[file] = imports.filter((i) => i.d === -1 && i.n).map((i) => i.n)
}
console.log(JSON.stringify(out))
"""


def static_imports(files: list[Path]) -> tuple[dict[Path, list[str]], str]:
    if (WEB / "node_modules" / "es-module-lexer").is_dir():
        output = subprocess.run(
            ["node", "--input-type=module", "-e", LEXER, *map(str, files)],
            cwd=WEB,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        found = json.loads(output)
        return {Path(k): v for k, v in found.items()}, "es-module-lexer"
    return {f: STATIC_IMPORT.findall(f.read_text()) for f in files}, "regex"


def landing_javascript() -> tuple[list[Path], str]:
    parser = EntryParser()
    parser.feed((DIST / "index.html").read_text())
    if not parser.modules:
        raise RuntimeError("web/dist/index.html has no module script")

    def local(url: str) -> Path:
        return DIST / url.split("?")[0].lstrip("/")

    for manifest_path in (DIST / ".vite" / "manifest.json", DIST / "manifest.json"):
        if manifest_path.is_file():
            manifest: dict[str, dict[str, Any]] = json.loads(manifest_path.read_text())
            by_file = {entry["file"]: key for key, entry in manifest.items()}
            todo = [by_file[local(u).relative_to(DIST).as_posix()] for u in parser.modules]
            seen: list[str] = []
            while todo:
                key = todo.pop()
                if key in seen:
                    continue
                seen.append(key)
                todo += manifest[key].get("imports", [])
            files = [DIST / manifest[key]["file"] for key in seen]
            return files, f"the Vite manifest ({manifest_path.relative_to(DIST)})"

    start = [local(u) for u in parser.modules + parser.preloads]
    found: list[Path] = []
    method = ""
    frontier = start
    while frontier:
        frontier = [f for f in dict.fromkeys(frontier) if f not in found]
        found += frontier
        imports, method = static_imports(frontier)
        following: list[Path] = []
        for file, specifiers in imports.items():
            for spec in specifiers:
                if spec.startswith(("./", "../", "/")):
                    base = DIST if spec.startswith("/") else file.parent
                    following.append((base / spec.lstrip("/")).resolve())
        frontier = [f for f in following if f not in found]
    preloaded = {local(u).resolve() for u in parser.modules + parser.preloads}
    extra = [f for f in found if f.resolve() not in preloaded]
    note = f"index.html's module script and modulepreload links, then static imports ({method})"
    if extra:
        note += f"; {len(extra)} statically imported file(s) not preloaded"
    return found, note


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def report_landing() -> list[str]:
    files, how = landing_javascript()
    say(f"landing route JavaScript, from {how}:")
    say(f"  {'file':44} {'raw bytes':>10} {'gzip bytes':>11}")
    total_raw = total_gz = 0
    for file in sorted(files, key=lambda f: -f.stat().st_size):
        data = file.read_bytes()
        size = gzipped(data)
        total_raw += len(data)
        total_gz += size
        say(f"  {file.relative_to(DIST).as_posix():44} {len(data):>10} {size:>11}")
    kb = total_gz / 1000
    all_js = sorted((DIST / "assets").glob("*.js"))
    lazy = sum(gzipped(f.read_bytes()) for f in all_js if f not in files)
    say(f"  {'total (' + str(len(files)) + ' files)':44} {total_raw:>10} {total_gz:>11}")
    line = (
        f"landing JS gzipped: {kb:.1f} kB in {len(files)} files "
        f"(target <= {TARGET_LANDING_KB:.0f} kB: {verdict(kb <= TARGET_LANDING_KB)})"
    )
    say(line)
    rest = len(all_js) - len(files)
    say(f"for reference: the other {rest} JS chunks (lazy) {lazy / 1000:.1f} kB")
    return [f.name for f in files]


# --- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def confidant_serve(max_new_tokens: int, history: int, limit: float) -> Iterator[str]:
    """A real `confidant serve` as the e2e tests start it: fresh DATA_DIR, the bundled
    model (its converted copy shared with the e2e in web/.cache/models), web/dist."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = Path(tempfile.mkdtemp(prefix="confidant-webbench-"))
    MODELS_CACHE.mkdir(parents=True, exist_ok=True)
    (data_dir / "models").symlink_to(MODELS_CACHE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        CONFIDANT_DATA_DIR=str(data_dir),
        CONFIDANT_WEB_DIST_DIR=str(DIST),
        CONFIDANT_PUBLIC_BASE_URL=url,
        CONFIDANT_LOGIN_RATE_PER_IP="1000",
        CONFIDANT_LOGIN_RATE_PER_ACCOUNT="1000",
        CONFIDANT_LLM_MAX_NEW_TOKENS=str(max_new_tokens),
    )
    if history:
        env["CONFIDANT_CHAT_HISTORY_MESSAGES"] = str(history)
    say(
        f"server settings: CONFIDANT_LLM_MAX_NEW_TOKENS={max_new_tokens}, "
        f"CONFIDANT_CHAT_HISTORY_MESSAGES={history or 'default (50)'}, bundled chat model"
    )
    started = time.monotonic()
    run([sys.executable, "-m", "confidant", "migrate"], timeout=120, env=env, cwd=ROOT)
    log = (RESULTS / "web-server.log").open("w")
    command = [sys.executable, "-m", "confidant", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    say("$ " + " ".join(command))
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        status = ""
        while time.monotonic() - started < limit:
            if process.poll() is not None:
                raise RuntimeError(f"confidant serve exited ({process.returncode}); see {log.name}")
            try:
                response = httpx.get(f"{url}/readyz", timeout=5)
                status = response.text
                if response.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError(f"confidant serve not ready after {limit:.0f} s: {status}")
        say(f"confidant serve on {url}: /readyz {status} after {time.monotonic() - started:.0f} s")
        if "degraded" in status:
            raise RuntimeError(f"the bundled model did not load: {status}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)  # the models link, not the cache


# --- 2. Lighthouse ---------------------------------------------------------------------


def chromium() -> str:
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    if not path:
        raise RuntimeError("no chromium on PATH (Debian: apt-get install chromium)")
    return path


def report_lighthouse(url: str, presets: list[str], limit: float, landing: list[str]) -> None:
    if not (LIGHTHOUSE / "node_modules" / "lighthouse").is_dir():
        run(["npm", "ci", "--prefix", str(LIGHTHOUSE)], timeout=min(limit / 2, 300))
    out = RESULTS / "web-lighthouse.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "CHROME_PATH": chromium()}
    try:
        run(["node", "run.mjs", url, str(out), *presets], timeout=limit, env=env, cwd=LIGHTHOUSE)
    finally:
        results: list[dict[str, Any]] = json.loads(out.read_text()) if out.is_file() else []
        for r in results:
            ok_perf = r["performance"] is not None and r["performance"] >= TARGET_PERFORMANCE
            ok_a11y = r["accessibility"] == TARGET_ACCESSIBILITY
            m = r["metrics"]
            say(
                f"lighthouse {r['lighthouseVersion']} {r['preset']:7} {r['page']:7} "
                f"performance {r['performance']} (target >= {TARGET_PERFORMANCE}: "
                f"{verdict(ok_perf)}), accessibility {r['accessibility']} "
                f"(target {TARGET_ACCESSIBILITY}: {verdict(ok_a11y)})"
            )
            say(
                f"    FCP {m['first-contentful-paint']:.0f} ms, LCP "
                f"{m['largest-contentful-paint']:.0f} ms, TBT {m['total-blocking-time']:.0f} ms, "
                f"CLS {m['cumulative-layout-shift']:.3f}, SI {m['speed-index']:.0f} ms; "
                f"{r['throttling']} throttling, {r['formFactor']}, benchmarkIndex "
                f"{r['benchmarkIndex']}; final URL {r['finalUrl'].removeprefix(url)}"
            )
            expected = r["url"].removeprefix(url)
            if r["finalUrl"].removeprefix(url) != expected:
                say(f"    NOT the page asked for: {expected} ended on {r['finalUrl']}")
            if r["runtimeError"]:
                say(f"    runtime error: {r['runtimeError']}")
            for item in r["failingAccessibility"]:
                say(f"    accessibility audit below 1: {item['id']} ({item['title']})")
            for item in r["failingPerformance"]:
                say(f"    performance audit below 1: {item['id']} {item['score']}")
            for item in r.get("opportunities", [])[:3]:
                kib = item["savingsBytes"]
                say(
                    f"    opportunity: {item['id']}, saves ~{item['savingsMs']:.0f} ms"
                    + (f", {kib / 1000:.0f} kB" if kib else "")
                )
            if r["page"] == "landing":
                seen = sorted(s["url"].rsplit("/", 1)[-1] for s in r["scripts"])
                same = seen == sorted(landing)
                say(
                    f"    scripts the browser fetched on /: {len(seen)}; same set as phase 1: "
                    f"{'yes' if same else 'NO: ' + ', '.join(seen)}"
                )


# --- 3. send -> paint ------------------------------------------------------------------


def p50(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def report_paint(url: str, turns: int, warmup: int, limit: float) -> None:
    out = RESULTS / "web-paint.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PERF_BASE_URL": url,
        "PERF_TURNS": str(turns),
        "PERF_WARMUP": str(warmup),
        "PERF_OUT": str(out),
        "PERF_TIMEOUT_MS": str(int(limit * 1000)),
        "CHROMIUM_PATH": os.environ.get("CHROMIUM_PATH") or chromium(),
    }
    command = ["npx", "playwright", "test", "-c", "e2e/perf/perf.config.ts"]
    stopped = ""
    try:
        run(command, timeout=limit + 60, env=env, cwd=WEB)
    except subprocess.TimeoutExpired:
        stopped = f"the run was stopped after {limit + 60:.0f} s"
    except subprocess.CalledProcessError as exc:
        stopped = f"the Playwright run failed (exit {exc.returncode}; see its output above)"
    if not out.is_file():
        raise RuntimeError(f"no turn was measured: {stopped}")
    result = json.loads(out.read_text())
    measured = [t for t in result["turns"] if not t["warmup"]]
    if stopped or not result["complete"]:
        say(f"PARTIAL: {len(measured)} of {turns} turns measured; {stopped}")
    if not measured:
        raise RuntimeError("no turn was measured past the warm-up")
    paint = [t["ui"]["sendToPaint"] for t in measured]
    ws = [t["wsTtfd"] for t in measured]
    sse = [t["sseTtfd"] for t in measured]
    paired = [a - b for a, b in zip(paint, ws, strict=True)]
    paired_sse = [a - b for a, b in zip(paint, sse, strict=True)]
    frame_to_paint = [t["ui"]["frameToPaint"] for t in measured]
    frame_to_paint = [x for x in frame_to_paint if x is not None]
    to_mutation = [t["ui"]["sendToMutation"] for t in measured]
    say(
        f"{len(measured)} turns (+{result['warmup']} warm-up), three chats of one guest in "
        f"lockstep; the client streamed over {result['clientTransport']}"
    )
    say(f"  send -> first reply text painted   p50 {p50(paint):7.1f} ms  (max {max(paint):.1f})")
    say(f"  send -> text in the DOM            p50 {p50(to_mutation):7.1f} ms")
    split = [t["ui"] for t in measured if t["ui"].get("sendToSocket") is not None]
    if split and all(u["socketToFrame"] is not None for u in split):
        say(
            "  the same turns split: click -> the client's ws.send p50 "
            f"{p50([u['sendToSocket'] for u in split]):.1f} ms, ws.send -> first delta frame "
            f"p50 {p50([u['socketToFrame'] for u in split]):.1f} ms, frame -> paint p50 "
            f"{p50([u['frameToPaint'] for u in split]):.1f} ms"
        )
        busy = [u.get("longTaskMsBeforeFrame") for u in split]
        if all(b is not None for b in busy):
            say(
                "  the page's long tasks (> 50 ms) between the click and the first delta frame: "
                f"p50 {p50(busy):.1f} ms, max {max(busy):.1f} ms a turn"
            )
    say(f"  API TTFD over WebSocket (browser)  p50 {p50(ws):7.1f} ms  (max {max(ws):.1f})")
    say(f"  API TTFD over SSE (browser)        p50 {p50(sse):7.1f} ms  (max {max(sse):.1f})")
    ok = p50(paired) <= TARGET_PAINT_OVERHEAD_MS
    say(
        f"send->paint minus API TTFD (WebSocket, paired per turn): p50 {p50(paired):.1f} ms "
        f"(target <= {TARGET_PAINT_OVERHEAD_MS:.0f} ms: {verdict(ok)}); difference of the p50s "
        f"{p50(paint) - p50(ws):.1f} ms"
    )
    say(
        f"  spread: paired differences p25 {percentile(paired, 0.25):.1f} ms, p75 "
        f"{percentile(paired, 0.75):.1f} ms; API TTFD "
        f"over WebSocket p25 {percentile(ws, 0.25):.1f} ms, p75 {percentile(ws, 0.75):.1f} ms"
    )
    if split and all(u["socketToFrame"] is not None for u in split):
        own = [u["sendToPaint"] - u["socketToFrame"] for u in split]
        ok_own = p50(own) <= TARGET_PAINT_OVERHEAD_MS
        say(
            "send->paint minus the API's TTFD for that same message (the client's ws.send -> "
            f"first delta frame): p50 {p50(own):.1f} ms (target <= "
            f"{TARGET_PAINT_OVERHEAD_MS:.0f} ms: {verdict(ok_own)}), p25 "
            f"{percentile(own, 0.25):.1f}, p75 {percentile(own, 0.75):.1f} ms"
        )
    say(
        f"for reference: minus API TTFD over SSE, paired p50 {p50(paired_sse):.1f} ms; "
        f"the client's own delta frame -> paint, same turn, p50 "
        + (f"{p50(frame_to_paint):.1f} ms" if frame_to_paint else "n/a")
    )


def version(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=20, help="measured chat turns (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="turns not counted (default 2)")
    parser.add_argument(
        "--presets", default="desktop,mobile", help="Lighthouse presets (default desktop,mobile)"
    )
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        default=8,
        help="CONFIDANT_LLM_MAX_NEW_TOKENS of the server (default 8; the time to first "
        "delta does not depend on it, the length of a run does)",
    )
    parser.add_argument(
        "--history-messages",
        type=int,
        default=6,
        help="CONFIDANT_CHAT_HISTORY_MESSAGES of the server (default 6, so every turn's prompt "
        "is about as long and 20 turns fit the time limit; 0: the server's default)",
    )
    parser.add_argument("--skip", default="", help="phases to skip, e.g. lighthouse,paint")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    RESULTS.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    say(
        f"bench/web.py: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"node {version(['node', '--version'])}, {version([chromium(), '--version'])}"
    )
    landing: list[str] = []
    with phase("1. landing route JavaScript", 600) as p:
        started = time.monotonic()
        ensure_build(p.limit)
        say(f"(build step {time.monotonic() - started:.0f} s)")
        landing = report_landing()

    if skip >= {"lighthouse", "paint"}:
        return
    with phase("server, then phases 2 and 3 against it", 330 + 480 + 600):
        with confidant_serve(args.max_new_tokens, args.history_messages, 300) as url:
            if "lighthouse" not in skip:
                with phase("2. Lighthouse", 480):
                    presets = [x for x in args.presets.split(",") if x]
                    report_lighthouse(url, presets, 450, landing)
            if "paint" not in skip:
                with phase("3. send -> first reply text painted", 600):
                    report_paint(url, args.turns, args.warmup, 540)
    say(f"\nbench/web.py done; load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
