"""The server's Prometheus metrics, on a registry of its own (one per app, so several
apps in one test process never mix their figures).

- HTTP requests and their latency by route template (`RequestContextMiddleware`).
- The model's generations under vLLM's names, prefixed `confidant:`, so dashboards made
  for vLLM fit: time to first token, inter-token latency, end to end, prompt and
  generation tokens. The models report them as they run (`llm/telemetry.py`).
- Voice turns: to the first sentence spoken, and whole (`companion/voice.py`).
- Live calls: active, voice-to-voice latency, time to first audio, barge-ins
  (`calls/session.py`).
- Gauges read when scraped (`RuntimeGauges`): the engine's concurrency slots and queue
  and the users' adapters it holds, from memory; jobs and the ledger from the database,
  read by the /metrics handler (`refresh`) just before the registry is collected, so
  `collect()` itself never waits on a query.

Labels name models, route templates, job kinds and ledger buffers; never a person, and
never an adapter (each is one person's).

Several worker processes (`confidant serve --workers N`) share their figures through
prometheus_client's multiprocess mode: `serve` gives them a fresh directory in
PROMETHEUS_MULTIPROC_DIR, each process writes its counters, histograms and gauges to its
own files there, and whichever process answers /metrics sums them all
(`SharedFigures`). What each process holds in memory (the engine's slots and queue, its
adapters, its API calls not yet sequenced, live calls) is a `livesum` gauge: the sum
over the living processes, written by each as it changes or every `SAMPLE_SECONDS`
(`ProcessGauges`). What comes from the database is the same for every process, so the
answering one reads it then, as with one process, rather than keeping older copies in
files. A worker leaves the live sums when it stops (`close`), or at the next scrape
when it died without stopping; its counters stay, so totals never go backwards.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from confidant.jobs import service as jobs_service
from confidant.kit.db import utcnow
from confidant.ledger import service as ledger_service

if TYPE_CHECKING:
    from confidant.runtime import Runtime

log = logging.getLogger("confidant")

MODEL = ["model_name"]  # vLLM's label
# Where prometheus_client keeps every worker's figures when there are several; it reads
# this at import, so `confidant serve` sets it before the workers start.
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
SAMPLE_SECONDS = 1.0  # how stale another worker's in-memory gauges may be at a scrape
# vLLM's buckets (vllm/v1/metrics/loggers.py), so its panels and quantiles read the same.
TTFT_BUCKETS = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
    10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
)  # fmt: skip
ITL_BUCKETS = (
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    20.0, 40.0, 80.0,
)  # fmt: skip
E2E_BUCKETS = (
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0,
    240.0, 480.0, 960.0, 1920.0, 7680.0,
)  # fmt: skip
VOICE_BUCKETS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0)


class Metrics:
    """Everything /metrics shows: this process's figures, or with several worker
    processes all of theirs (`registry` is what /metrics collects). `watch` ties it to
    the runtime once that has started; before, only the HTTP figures move."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.shared_dir = shared_directory()
        # In multiprocess mode the figures live in files, and `SharedFigures` reads them.
        own = None if self.shared_dir else self.registry
        self.requests = Counter(
            "confidant_http_requests_total",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "confidant_http_request_duration_seconds",
            "HTTP request latency by method, route template and status",
            ["method", "route", "status"],
            registry=own,
        )
        self.generations = GenerationMetrics(own)
        self.voice = VoiceMetrics(own)
        self.calls = CallMetrics(own)
        self.gauges = RuntimeGauges(in_memory=self.shared_dir is None)
        self.process = None if self.shared_dir is None else ProcessGauges()
        if self.shared_dir is None:
            self.registry.register(self.gauges)
        else:
            self.registry.register(SharedFigures(self.shared_dir, self.gauges))

    def watch(self, rt: Runtime) -> None:
        rt.models.observers.add(self.generations)
        rt.voice.observers.add(self.voice)
        rt.calls.observers.add(self.calls)
        self.gauges.watch(rt)

    async def refresh(self) -> None:
        """Read what the gauges take from the database; call before collecting."""
        self._sample()
        await self.gauges.refresh()

    async def sample_forever(self) -> None:
        """Keep this process's in-memory gauges in its files for the other workers'
        scrapes (multiprocess mode; with one process there is nothing to do)."""
        if self.process is None:
            return
        while True:
            self._sample()
            await asyncio.sleep(SAMPLE_SECONDS)

    def close(self) -> None:
        """This process stops: its live gauges leave the sums (its counters stay)."""
        if self.shared_dir is not None:
            _leave_live_sums(os.getpid(), self.shared_dir)

    def _sample(self) -> None:
        rt = self.gauges.runtime
        if self.process is not None and rt is not None:
            self.process.sample(rt)


def shared_directory() -> str | None:
    """The multiprocess directory `confidant serve` set for several workers, if any."""
    return os.environ.get(MULTIPROCESS_DIR_ENV) or None


class GenerationMetrics:
    """A `GenerationObserver`: the models' generations, as they run."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.prompt_tokens = Counter(
            "confidant:prompt_tokens", "Prefill tokens processed.", MODEL, registry=registry
        )
        self.generation_tokens = Counter(
            "confidant:generation_tokens",
            "Generation tokens processed.",
            MODEL,
            registry=registry,
        )
        self.time_to_first_token = Histogram(
            "confidant:time_to_first_token_seconds",
            "Histogram of time to first token in seconds (from arrival, queueing included).",
            MODEL,
            buckets=TTFT_BUCKETS,
            registry=registry,
        )
        self.inter_token_latency = Histogram(
            "confidant:inter_token_latency_seconds",
            "Histogram of inter-token latency in seconds.",
            MODEL,
            buckets=ITL_BUCKETS,
            registry=registry,
        )
        self.e2e_request_latency = Histogram(
            "confidant:e2e_request_latency_seconds",
            "Histogram of e2e request latency in seconds (arrival to the generation's end).",
            MODEL,
            buckets=E2E_BUCKETS,
            registry=registry,
        )

    def generation_started(self, model: str, prompt_tokens: int) -> None:
        self.prompt_tokens.labels(model).inc(prompt_tokens)

    def first_token(self, model: str, seconds: float) -> None:
        self.time_to_first_token.labels(model).observe(seconds)
        self.generation_tokens.labels(model).inc()

    def next_token(self, model: str, seconds: float) -> None:
        self.inter_token_latency.labels(model).observe(seconds)
        self.generation_tokens.labels(model).inc()

    def generation_finished(self, model: str, seconds: float) -> None:
        self.e2e_request_latency.labels(model).observe(seconds)


CALL_BUCKETS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0, 20.0)


class CallMetrics:
    """A `CallObserver`: live calls."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.active = Gauge(
            "confidant:calls_active",
            "Live calls the server holds.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.voice_to_voice_seconds = Histogram(
            "confidant:call_voice_to_voice_seconds",
            "Seconds from the end of the person's speech to the reply's first audio sent.",
            buckets=CALL_BUCKETS,
            registry=registry,
        )
        self.time_to_first_audio = Histogram(
            "confidant:call_time_to_first_audio_seconds",
            "Seconds from the end-of-turn decision to the reply's first audio sent.",
            buckets=CALL_BUCKETS,
            registry=registry,
        )
        self.barge_ins = Counter(
            "confidant:call_barge_ins", "Replies the person talked over.", registry=registry
        )

    def call_started(self) -> None:
        self.active.inc()

    def call_ended(self) -> None:
        self.active.dec()

    def first_audio(self, seconds: float) -> None:
        self.time_to_first_audio.observe(seconds)

    def voice_to_voice(self, seconds: float) -> None:
        self.voice_to_voice_seconds.observe(seconds)

    def barge_in(self) -> None:
        self.barge_ins.inc()


class VoiceMetrics:
    """A `VoiceObserver`: voice message turns, by what the person waited for."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.first_audio_seconds = Histogram(
            "confidant:voice_time_to_first_audio_seconds",
            "Seconds from a voice message's arrival to its reply's first sentence spoken.",
            buckets=VOICE_BUCKETS,
            registry=registry,
        )
        self.turn_seconds = Histogram(
            "confidant:voice_turn_seconds",
            "Seconds from a voice message's arrival to its turn answered, spoken and kept.",
            buckets=VOICE_BUCKETS,
            registry=registry,
        )

    def first_audio(self, seconds: float) -> None:
        self.first_audio_seconds.observe(seconds)

    def voice_turn(self, seconds: float) -> None:
        self.turn_seconds.observe(seconds)


@dataclass(frozen=True)
class Figure:
    """A scrape-time gauge: its name, help and labels, for one process's family or the
    live gauge of several."""

    name: str
    documentation: str
    labels: tuple[str, ...] = ()

    def family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.name, self.documentation, labels=self.labels)

    def live_sum(self) -> Gauge:
        return Gauge(
            self.name, self.documentation, self.labels, registry=None, multiprocess_mode="livesum"
        )


RUNNING = Figure(
    "confidant:num_requests_running",
    "Generations holding one of the model's concurrency slots (LLM_MAX_CONCURRENCY).",
    ("model_name",),
)
WAITING = Figure(
    "confidant:num_requests_waiting",
    "Generations queued for a slot (at most LLM_MAX_QUEUE; more are refused 503).",
    ("model_name",),
)
ADAPTERS = Figure(
    "confidant:adapters_resident",
    "Users' LoRA adapters loaded on the in-process model (LLM_MAX_RESIDENT_ADAPTERS).",
    ("model_name",),
)
LAG = Figure(
    "confidant:ledger_sequencing_lag_leaves",
    "Leaves waiting to be sequenced: API calls in the server's memory, row writes in the "
    "shared outbox.",
    ("buffer",),
)
DROPPED = (
    "confidant:ledger_dropped_leaves",
    "API-call leaves dropped because the memory buffer was full (database down).",
)


@dataclass(frozen=True)
class Stored:
    """What the gauges read from the database at the last refresh."""

    jobs: list[jobs_service.KindLoad]
    log: ledger_service.LogStatus


class RuntimeGauges:
    """A collector: gauges computed at scrape time. In-memory state is read in
    `collect()` (unless `ProcessGauges` keep it, with several processes); database state
    comes from the last `refresh()`, and is left out when that failed (a database down
    must not take the other figures with it)."""

    def __init__(self, in_memory: bool = True) -> None:
        self.in_memory = in_memory
        self.runtime: Runtime | None = None
        self._stored: Stored | None = None

    def watch(self, rt: Runtime) -> None:
        self.runtime, self._stored = rt, None

    async def refresh(self) -> None:
        rt = self.runtime
        if rt is None:
            return
        try:
            jobs = await jobs_service.load_by_kind(rt.db)
            status = await ledger_service.log_status(rt)
        except Exception:
            log.warning("metrics: could not read jobs and ledger state", exc_info=True)
            self._stored = None
            return
        self._stored = Stored(jobs, status)

    def describe(self) -> Iterable[Metric]:
        return _Families().all()

    def collect(self) -> Iterable[Metric]:
        families = _Families()
        rt = self.runtime
        if rt is None:
            return families.all()
        if self.in_memory:
            for load in rt.models.loads():
                families.running.add_metric([load.name], load.running)
                families.waiting.add_metric([load.name], load.waiting)
                if load.adapters_resident is not None:
                    families.adapters.add_metric([load.name], load.adapters_resident)
            families.lag.add_metric(["memory"], len(rt.ledger.calls))
            families.dropped.add_metric([], rt.ledger.calls.dropped)
        stored = self._stored
        if stored is None:
            return families.all()
        now = utcnow()
        for kind in stored.jobs:
            families.queued.add_metric([kind.kind], kind.queued)
            families.jobs_running.add_metric([kind.kind], kind.running)
            families.failed.add_metric([kind.kind], kind.failed)
            oldest = kind.oldest_queued_at
            age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
            families.oldest.add_metric([kind.kind], age)
        status = stored.log
        families.tree_size.add_metric([], status.tree_size)
        families.lag.add_metric(["outbox"], status.outbox_leaves)
        if status.checkpoint_at is not None and status.checkpoint_size is not None:
            age = max(0.0, (now - status.checkpoint_at).total_seconds())
            families.checkpoint_age.add_metric([], age)
            families.checkpoint_size.add_metric([], status.checkpoint_size)
        return families.all()


class ProcessGauges:
    """Multiprocess mode: what this process holds in memory, in its own files, summed
    over the living processes at a scrape (`livesum`)."""

    def __init__(self) -> None:
        self.running = RUNNING.live_sum()
        self.waiting = WAITING.live_sum()
        self.adapters = ADAPTERS.live_sum()
        self.lag = LAG.live_sum()
        self.dropped = Counter(*DROPPED, registry=None)
        self._dropped_counted = 0
        self._models: set[str] = set()

    def sample(self, rt: Runtime) -> None:
        loads = rt.models.loads()
        for name in self._models - {load.name for load in loads}:  # unloaded since
            for gauge in (self.running, self.waiting, self.adapters):
                gauge.labels(name).set(0)
        self._models = {load.name for load in loads}
        for load in loads:
            self.running.labels(load.name).set(load.running)
            self.waiting.labels(load.name).set(load.waiting)
            if load.adapters_resident is not None:
                self.adapters.labels(load.name).set(load.adapters_resident)
        self.lag.labels("memory").set(len(rt.ledger.calls))
        dropped = rt.ledger.calls.dropped
        self.dropped.inc(dropped - self._dropped_counted)
        self._dropped_counted = dropped


class SharedFigures:
    """Multiprocess mode's collector: every process's files, merged by prometheus_client,
    and the gauges this process read from the database, one family per name (the
    ledger's lag has a buffer from each)."""

    def __init__(self, directory: str, stored: RuntimeGauges) -> None:
        self.directory = directory
        self.files = multiprocess.MultiProcessCollector(None, directory)  # type: ignore[no-untyped-call]
        self.stored = stored

    def collect(self) -> Iterable[Metric]:
        forget_dead_processes(self.directory)
        families: dict[str, Metric] = {}
        for family in [*self.files.collect(), *self.stored.collect()]:  # type: ignore[no-untyped-call]
            known = families.setdefault(family.name, family)
            if known is not family:
                known.samples.extend(family.samples)
        return list(families.values())


def forget_dead_processes(directory: str) -> None:
    """Take the live gauges of processes gone without `close` (killed, crashed) out of
    the sums; uvicorn has no hook for a worker's death, so the scrape looks."""
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        if not _alive(pid):
            _leave_live_sums(pid, directory)


def _leave_live_sums(pid: int, directory: str) -> None:
    multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    return True


class _Families:
    """The scrape-time metrics, empty until filled."""

    def __init__(self) -> None:
        self.running = RUNNING.family()
        self.waiting = WAITING.family()
        self.adapters = ADAPTERS.family()
        self.queued = GaugeMetricFamily(
            "confidant:jobs_queued", "Jobs waiting for a worker, by kind.", labels=["kind"]
        )
        self.jobs_running = GaugeMetricFamily(
            "confidant:jobs_running", "Jobs a worker is running, by kind.", labels=["kind"]
        )
        self.oldest = GaugeMetricFamily(
            "confidant:jobs_oldest_queued_age_seconds",
            "Seconds the oldest queued job of the kind has waited (0: none queued).",
            labels=["kind"],
        )
        self.failed = GaugeMetricFamily(
            "confidant:jobs_failed",
            "Jobs in the failed state, by kind (rows kept; they go with their account).",
            labels=["kind"],
        )
        self.tree_size = GaugeMetricFamily(
            "confidant:ledger_tree_size", "Leaves sequenced into the ledger's log."
        )
        self.lag = LAG.family()
        self.checkpoint_age = GaugeMetricFamily(
            "confidant:ledger_checkpoint_age_seconds", "Seconds since the newest checkpoint."
        )
        self.checkpoint_size = GaugeMetricFamily(
            "confidant:ledger_checkpoint_tree_size", "Tree size the newest checkpoint signs."
        )
        self.dropped = CounterMetricFamily(*DROPPED)

    def all(self) -> list[Metric]:
        return [
            self.running,
            self.waiting,
            self.adapters,
            self.queued,
            self.jobs_running,
            self.oldest,
            self.failed,
            self.tree_size,
            self.lag,
            self.checkpoint_age,
            self.checkpoint_size,
            self.dropped,
        ]
