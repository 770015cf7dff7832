"""/metrics: generations under vLLM's names, the model's queue, jobs, the ledger; and no
figure that names a person."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi import FastAPI
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, func, select

from confidant.app.metrics import MULTIPROCESS_DIR_ENV, SAMPLE_SECONDS
from confidant.jobs import service as jobs_service
from confidant.jobs.models import FAILED, QUEUED, Job
from confidant.kit.db import new_id, utcnow
from confidant.kit.hooks import Observers
from confidant.ledger import store
from confidant.ledger.models import LedgerOutbox
from confidant.llm.base import GenerationParams, approximate_tokens
from confidant.llm.huggingface_connection import HuggingFaceChatModel
from confidant.llm.telemetry import GenerationObserver
from confidant.runtime import Runtime
from tests.chats.test_chats_api import new_chat, sse_events
from tests.chats.test_openai_facade import api_key, provider_for
from tests.conftest import (
    TINY_MODEL_DIR,
    LiveServer,
    client_for,
    make_settings,
    started_app,
    upgrade_schema,
)
from tests.finetune.test_adapters import packed_adapter, ref
from tests.helpers import Account, free_port, register, serve, stop_worker, wait_ready

TTFT = "confidant:time_to_first_token_seconds"
ITL = "confidant:inter_token_latency_seconds"
E2E = "confidant:e2e_request_latency_seconds"
PROMPT_TOKENS = "confidant:prompt_tokens_total"
GENERATION_TOKENS = "confidant:generation_tokens_total"
# Every label any metric may carry: what is measured, never who for.
ALLOWED_LABELS = {"method", "route", "status", "model_name", "kind", "buffer", "le"}


@dataclass
class Scrape:
    text: str
    samples: dict[str, dict[frozenset[tuple[str, str]], float]] = field(default_factory=dict)
    label_names: set[str] = field(default_factory=set)

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples.get(name, {}).get(frozenset(labels.items()))

    def has(self, name: str) -> bool:
        return name in self.samples


async def scrape(http: httpx.AsyncClient) -> Scrape:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    found = Scrape(response.text)
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = frozenset(sample.labels.items())
            found.samples.setdefault(sample.name, {})[labels] = sample.value
            found.label_names |= set(sample.labels)
    return found


def grew(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return (after.value(name, **labels) or 0.0) - (before.value(name, **labels) or 0.0)


async def streamed_turn(http: httpx.AsyncClient, account: Account, content: str) -> str:
    chat = await new_chat(http, account)
    response = await http.post(
        "/api/messages",
        json={"chatId": chat["id"], "content": content},
        headers={**account.headers, "Accept": "text/event-stream"},
    )
    assert response.status_code == 200, response.text
    assert sse_events(response.text)[-1][0] == "message"
    return str(chat["id"])


async def test_a_streamed_reply_is_timed_and_its_tokens_counted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    model = runtime.models.get()
    assert isinstance(model, HuggingFaceChatModel)
    name = model.name
    before, produced_before = await scrape(client), model.tokens_generated

    turns = produced = 0
    while produced <= turns < 5:  # a random model may end a reply at its first token
        await streamed_turn(client, account, "hello, how was your day")
        turns += 1
        produced = model.tokens_generated - produced_before

    after = await scrape(client)
    assert produced <= turns * runtime.settings.llm_max_new_tokens
    # each generation: one first token, one end, and a gap before each later token
    assert grew(before, after, f"{TTFT}_count", model_name=name) == turns
    assert grew(before, after, f"{E2E}_count", model_name=name) == turns
    assert grew(before, after, f"{ITL}_count", model_name=name) == produced - turns
    assert grew(before, after, GENERATION_TOKENS, model_name=name) == produced
    assert grew(before, after, PROMPT_TOKENS, model_name=name) > 5 * turns  # system prompt
    ttft = grew(before, after, f"{TTFT}_sum", model_name=name)
    e2e = grew(before, after, f"{E2E}_sum", model_name=name)
    assert 0 < ttft <= e2e
    assert grew(before, after, f"{ITL}_sum", model_name=name) > 0
    # the reply is over: nothing holds or waits for a slot, no adapter was needed
    assert after.value("confidant:num_requests_running", model_name=name) == 0
    assert after.value("confidant:num_requests_waiting", model_name=name) == 0
    assert after.value("confidant:adapters_resident", model_name=name) == 0


async def test_the_figures_name_no_person(client: httpx.AsyncClient, runtime: Runtime) -> None:
    account = await register(client)
    chat_id = await streamed_turn(client, account, "I slept badly again")
    entry = await client.post(
        "/api/diary",
        json={"date": "2025-03-04", "text": "A long walk by the river."},
        headers=account.headers,
    )
    assert entry.status_code == 201, entry.text
    await runtime.sequencer.drain()
    found = await scrape(client)
    assert found.has(f"{TTFT}_count")
    assert found.label_names <= ALLOWED_LABELS
    subject = runtime.ledger.pseudonyms.subject(account.user_id)
    assert subject is not None
    for personal in (account.user_id, account.email, chat_id, entry.json()["id"], subject):
        assert personal not in found.text


@pytest.fixture
async def probe_jobs(runtime: Runtime) -> AsyncIterator[str]:
    """Two rows of a kind of their own that no worker is sent: one queued 90 s ago and
    one failed."""
    kind = f"tests.metrics-{new_id()[:8]}"
    now = utcnow()
    async with runtime.db.transaction() as session:
        for state, at in ((QUEUED, now - timedelta(seconds=90)), (FAILED, now)):
            session.add(
                Job(
                    id=new_id(),
                    kind=kind,
                    user_id=None,
                    params={},
                    state=state,
                    progress=0,
                    attempts=0,
                    cancel_requested=False,
                    created_at=at,
                )
            )
    yield kind
    async with runtime.db.transaction() as session:
        await session.execute(delete(Job).where(Job.kind == kind))


async def test_job_and_ledger_gauges_are_there_with_sane_values(
    client: httpx.AsyncClient, runtime: Runtime, probe_jobs: str
) -> None:
    await register(client)
    await runtime.sequencer.drain()
    sized_before = await runtime.db.read(store.read_state)
    found = await scrape(client)
    sized_after = await runtime.db.read(store.read_state)

    assert found.value("confidant:jobs_queued", kind=probe_jobs) == 1
    assert found.value("confidant:jobs_failed", kind=probe_jobs) == 1
    assert found.value("confidant:jobs_running", kind=probe_jobs) == 0
    age = found.value("confidant:jobs_oldest_queued_age_seconds", kind=probe_jobs)
    assert age is not None
    assert 90 <= age < 150
    for kind in jobs_service.HANDLERS:  # every registered kind, idle ones at zero
        assert (found.value("confidant:jobs_queued", kind=kind) or 0) >= 0
        assert found.value("confidant:jobs_oldest_queued_age_seconds", kind=kind) is not None

    tree_size = found.value("confidant:ledger_tree_size")
    assert tree_size is not None
    assert sized_before.size <= tree_size <= sized_after.size
    assert tree_size > 0
    checkpoint_size = found.value("confidant:ledger_checkpoint_tree_size")
    assert checkpoint_size is not None
    assert 0 < checkpoint_size <= tree_size
    checkpoint_age = found.value("confidant:ledger_checkpoint_age_seconds")
    assert checkpoint_age is not None
    assert 0 <= checkpoint_age < 60
    for buffer in ("memory", "outbox"):
        lag = found.value("confidant:ledger_sequencing_lag_leaves", buffer=buffer)
        assert lag is not None
        assert lag >= 0
    assert found.value("confidant:ledger_dropped_leaves_total") == 0


# --- a quiet app of its own: one slot, one place in the queue, no worker, and a sequencer
# --- that runs only when told, so every gauge has an exact expected value


@pytest.fixture(scope="module")
async def quiet(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        tmp_path_factory.mktemp("quiet"),
        llm_max_concurrency=1,
        llm_max_queue=1,
        ledger_sequence_interval_seconds=3600,
    )
    await upgrade_schema(settings)
    async for app in started_app(settings):
        yield app


async def outbox_rows(rt: Runtime) -> int:
    async with rt.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(LedgerOutbox)) or 0)


async def test_ledger_gauges_follow_what_waits_and_what_is_sequenced(quiet: FastAPI) -> None:
    rt: Runtime = quiet.state.runtime
    async with client_for(quiet) as http:
        await register(http)
        await rt.sequencer.drain()
        settled = await scrape(http)
        size = settled.value("confidant:ledger_tree_size")
        assert size is not None
        assert size > 0
        assert settled.value("confidant:ledger_sequencing_lag_leaves", buffer="memory") == 0
        assert settled.value("confidant:ledger_sequencing_lag_leaves", buffer="outbox") == 0
        assert settled.value("confidant:ledger_checkpoint_tree_size") == size

        account = await register(http)  # rows written: leaves in the outbox, too
        for _ in range(2):
            await http.get("/api/users/me", headers=account.headers)
        waiting = await scrape(http)  # /metrics itself is not an API call: no leaf
        outbox = await outbox_rows(rt)
        assert outbox > 0
        assert waiting.value("confidant:ledger_sequencing_lag_leaves", buffer="memory") == 3
        assert waiting.value("confidant:ledger_sequencing_lag_leaves", buffer="outbox") == outbox
        assert waiting.value("confidant:ledger_tree_size") == size

        await rt.sequencer.drain()
        done = await scrape(http)
        assert done.value("confidant:ledger_tree_size") == size + 3 + outbox
        assert done.value("confidant:ledger_checkpoint_tree_size") == size + 3 + outbox
        assert done.value("confidant:ledger_sequencing_lag_leaves", buffer="memory") == 0
        assert done.value("confidant:ledger_sequencing_lag_leaves", buffer="outbox") == 0
        age = done.value("confidant:ledger_checkpoint_age_seconds")
        assert age is not None
        assert 0 <= age < 10


async def test_queued_jobs_are_counted_by_kind_with_their_age(quiet: FastAPI) -> None:
    rt: Runtime = quiet.state.runtime
    async with client_for(quiet) as http:
        account = await register(http)
        entry = await http.post(
            "/api/diary",
            json={"date": "2025-03-05", "text": "Tea with my sister."},
            headers=account.headers,
        )
        assert entry.status_code == 201, entry.text
        asked = utcnow()
        found = await scrape(http)
        answered = utcnow()
    async with rt.db.transaction() as session:
        rows = await session.execute(
            select(Job.kind, func.count(), func.min(Job.created_at))
            .where(Job.state == QUEUED)
            .group_by(Job.kind)
        )
        queued = {kind: (int(count), oldest) for kind, count, oldest in rows}
    assert queued, "a diary entry queues its indexing, and no worker takes it here"
    for kind in {*jobs_service.HANDLERS, *queued}:
        count, oldest = queued.get(kind, (0, None))
        assert found.value("confidant:jobs_queued", kind=kind) == count
        age = found.value("confidant:jobs_oldest_queued_age_seconds", kind=kind)
        if oldest is None:
            assert age == 0
        else:
            assert age is not None
            assert (asked - oldest).total_seconds() <= age <= (answered - oldest).total_seconds()


async def test_the_engine_gauges_count_the_slot_and_the_queue(quiet: FastAPI) -> None:
    rt: Runtime = quiet.state.runtime
    model = rt.models.get()
    params = GenerationParams(max_new_tokens=200, temperature=0.7, top_p=0.9)
    messages = [{"role": "user", "content": "tell me about your week"}]
    async with client_for(quiet) as http:
        before = await scrape(http)
        first = model.stream(messages, params)
        second = model.stream(messages, params)
        await anext(first)  # holds the only slot
        queued = asyncio.create_task(anext(second))
        while not any(load.waiting for load in rt.models.loads()):
            await asyncio.sleep(0.01)
        busy = await scrape(http)
        await first.aclose()
        await queued
        await second.aclose()
        after = await scrape(http)
    assert busy.value("confidant:num_requests_running", model_name=model.name) == 1
    assert busy.value("confidant:num_requests_waiting", model_name=model.name) == 1
    assert after.value("confidant:num_requests_running", model_name=model.name) == 0
    assert after.value("confidant:num_requests_waiting", model_name=model.name) == 0
    assert grew(before, after, f"{TTFT}_count", model_name=model.name) == 2
    assert grew(before, after, f"{E2E}_count", model_name=model.name) == 2
    # the second waited in the queue for the first: its time to first token says so
    assert grew(before, after, f"{TTFT}_sum", model_name=model.name) > 0


async def test_each_app_keeps_its_own_figures(quiet: FastAPI) -> None:
    """Two apps in one process (two servers on one database): a reply in one moves its
    own histograms, not the other's."""
    rt: Runtime = quiet.state.runtime
    async for other in started_app(rt.settings):
        async with client_for(quiet) as http, client_for(other) as other_http:
            account = await register(http)
            name = rt.models.default_name
            mine, theirs = await scrape(http), await scrape(other_http)
            await streamed_turn(http, account, "hello")
            assert grew(mine, await scrape(http), f"{TTFT}_count", model_name=name) == 1
            assert grew(theirs, await scrape(other_http), f"{TTFT}_count", model_name=name) == 0


async def test_resident_adapters_are_counted_not_named(quiet: FastAPI) -> None:
    rt: Runtime = quiet.state.runtime
    model = rt.models.get()
    adapter = ref(f"adapter-{new_id()}", packed_adapter(7))  # a person's own
    messages = [{"role": "user", "content": "hello"}]
    params = GenerationParams(max_new_tokens=4, temperature=0.0, top_p=1.0)
    async with client_for(quiet) as http:
        before = await scrape(http)
        reply = "".join([piece async for piece in model.stream(messages, params, adapter)])
        after = await scrape(http)
    assert before.value("confidant:adapters_resident", model_name=model.name) == 0
    assert after.value("confidant:adapters_resident", model_name=model.name) == 1
    assert adapter.name not in after.text
    assert isinstance(reply, str)


# --- the OpenAI-compatible provider reports the same way, timed as the stream arrives


@dataclass
class Recorder:
    started: list[int] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)

    def generation_started(self, model: str, prompt_tokens: int) -> None:
        self.started.append(prompt_tokens)

    def first_token(self, model: str, seconds: float) -> None:
        self.first.append(seconds)

    def next_token(self, model: str, seconds: float) -> None:
        self.gaps.append(seconds)

    def generation_finished(self, model: str, seconds: float) -> None:
        self.finished.append(seconds)


async def test_an_openai_compatible_model_reports_its_generations(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        key = await api_key(http, await register(http))
    recorder = Recorder()
    observers: Observers[GenerationObserver] = Observers()
    observers.add(recorder)
    remote = provider_for(live_server, key, observers)
    messages = [{"role": "user", "content": "hello there"}]
    params = GenerationParams(max_new_tokens=8, temperature=0.7, top_p=0.9)
    try:
        deltas = [d async for d in remote.stream(messages, params)]
    finally:
        await remote.aclose()
    assert deltas
    assert recorder.started == [approximate_tokens(messages)]
    assert len(recorder.first) == 1
    assert len(recorder.gaps) == len(deltas) - 1
    assert len(recorder.finished) == 1
    assert 0 < recorder.first[0] <= recorder.finished[0]


def test_an_observer_that_fails_never_stops_the_work() -> None:
    class Broken:
        def first_audio(self, seconds: float) -> None:
            raise RuntimeError("broken observer")

    heard: list[float] = []

    class Listening:
        def first_audio(self, seconds: float) -> None:
            heard.append(seconds)

    observers: Observers[Broken | Listening] = Observers()
    observers.add(Broken())
    observers.add(Listening())
    observers.notify(lambda observer: observer.first_audio(1.5))
    assert heard == [1.5]


# --- `confidant serve --workers 2`: a scrape adds up both workers, whichever answers it

REQUESTS = "confidant_http_requests_total"
LAG = "confidant:ledger_sequencing_lag_leaves"
RUNNING = "confidant:num_requests_running"
ME = {"method": "GET", "route": "/api/users/me", "status": "200"}
SCRAPED = {"method": "GET", "route": "/metrics", "status": "200"}


def api_workers(server: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """uvicorn's worker processes (spawned by multiprocessing; not its resource tracker)."""
    children = psutil.Process(server.pid).children()
    return [child for child in children if "spawn_main" in " ".join(child.cmdline())]


def own_figure(shared: Path, pid: int, name: str, **labels: str) -> float | None:
    """One worker's own figure, from its files alone."""
    files = [str(path) for path in shared.glob(f"*_{pid}.db")]
    for family in MultiProcessCollector.merge(files):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


def counted_by(shared: Path, pid: int, name: str, **labels: str) -> float:
    return own_figure(shared, pid, name, **labels) or 0.0


async def models_loaded(shared: Path, pids: list[int], model: str) -> None:
    """Until each worker has loaded the model (and said so in its gauges)."""
    for _ in range(900):
        if all(own_figure(shared, pid, RUNNING, model_name=model) is not None for pid in pids):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the workers did not load the model")


async def until_each_worker_counts(
    shared: Path, pids: list[int], labels: dict[str, str], send: int, ask: httpx.AsyncClient
) -> int:
    """Send GETs `send` at a time, each on a connection of its own so that either worker
    may take it, until each worker has answered some; how many were sent."""
    path, sent = labels["route"], 0
    for _ in range(20):
        answers = await asyncio.gather(*(ask.get(path) for _ in range(send)))
        assert all(answer.status_code == 200 for answer in answers)
        sent += send
        await asyncio.sleep(0.2)  # counted once the response is sent
        if all(counted_by(shared, pid, REQUESTS, **labels) > 0 for pid in pids):
            return sent
    raise AssertionError("one worker answered every request")


async def gone(pid: int) -> None:
    """Until the process is dead and reaped (a zombie still looks alive)."""
    for _ in range(200):
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                await asyncio.sleep(0.05)
                continue
        except psutil.NoSuchProcess:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"process {pid} is still there")


async def lag_reaches(http: httpx.AsyncClient, leaves: int) -> Scrape:
    """A scrape once every worker has written its API calls waiting in memory (each
    writes every SAMPLE_SECONDS, later on a busy machine)."""
    for _ in range(int(30 / SAMPLE_SECONDS)):
        found = await scrape(http)
        if found.value(LAG, buffer="memory") == leaves:
            return found
        await asyncio.sleep(SAMPLE_SECONDS)
    raise AssertionError(f"the lag never summed to {leaves}: {found.value(LAG, buffer='memory')}")


def one_family_per_name(found: Scrape) -> None:
    types = [line.split()[2] for line in found.text.splitlines() if line.startswith("# TYPE")]
    assert len(types) == len(set(types)), "a family is written twice"


@pytest.mark.slow
async def test_a_scrape_adds_up_every_worker_of_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "data")
    await upgrade_schema(settings)
    # the API-call leaves stay in each worker's memory: the lag gauge is theirs, summed
    monkeypatch.setenv("CONFIDANT_LEDGER_SEQUENCE_INTERVAL_SECONDS", "3600")
    port = free_port()
    server = serve(settings, port, tmp_path / "serve.log", workers=2)
    url = f"http://127.0.0.1:{port}"
    fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection, any worker
    try:
        await wait_ready(url, server)
        workers = api_workers(server)
        assert len(workers) == 2
        pids = [worker.pid for worker in workers]
        shared = Path(workers[0].environ()[MULTIPROCESS_DIR_ENV])
        assert shared.is_dir()
        name = str(TINY_MODEL_DIR)
        await models_loaded(shared, pids, name)
        async with httpx.AsyncClient(base_url=url, limits=fresh, timeout=30) as http:
            account = await register(http)
            async with httpx.AsyncClient(
                base_url=url, limits=fresh, headers=account.headers, timeout=30
            ) as me:
                before = await lag_reaches(http, 1)  # the registration's call
                sent = await until_each_worker_counts(shared, pids, ME, 8, me)
            await lag_reaches(http, 1 + sent)
            answered = await until_each_worker_counts(shared, pids, SCRAPED, 4, http)
            scrapes = [await scrape(http) for _ in range(6)]
            by_worker = {pid: counted_by(shared, pid, REQUESTS, **ME) for pid in pids}
            assert sum(by_worker.values()) == sent
            assert answered > 0
            for found in scrapes:  # whichever worker answered it
                assert found.value(REQUESTS, **ME) == sent
                assert found.value("confidant_http_request_duration_seconds_count", **ME) == sent
                assert grew(before, found, LAG, buffer="memory") == sent
                assert found.value(LAG, buffer="outbox") is not None  # read from the database
                assert found.value("confidant:ledger_tree_size") is not None
                assert found.value(RUNNING, model_name=name) == 0
                assert found.value("confidant:num_requests_waiting", model_name=name) == 0
                assert found.value("confidant:ledger_dropped_leaves_total") == 0
                assert found.label_names <= ALLOWED_LABELS  # summed: no per-process label
                one_family_per_name(found)

            # a worker killed outright: its leaves leave the lag, its requests stay counted
            killed = max(pids, key=lambda pid: by_worker[pid])
            killed_lag = counted_by(shared, killed, LAG, buffer="memory")
            assert killed_lag >= by_worker[killed]
            lag = scrapes[-1].value(LAG, buffer="memory")
            assert lag is not None
            psutil.Process(killed).send_signal(signal.SIGKILL)
            await gone(killed)
            after = await scrape(http)
            assert after.value(LAG, buffer="memory") == lag - killed_lag
            assert after.value(REQUESTS, **ME) == sent
            assert not list(shared.glob(f"gauge_live*_{killed}.db"))
    finally:
        stop_worker(server)
    assert not shared.exists(), "the server removes its metrics directory when it stops"
