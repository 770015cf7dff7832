"""The classifier half of the crisis screen costs a chat turn nothing: the model starts on
its reply while the classifier listens, and nothing the model writes reaches the person
before the classifier's verdict. When the classifier hears what the phrases did not, the
model's start is thrown away and the reply follows the signal's severity."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import httpx
import pytest

from confidant.auth.models import User
from confidant.companion.events import Crisis, Delta, Event, Replied
from confidant.companion.service import Ask, KeepNothing, converse
from confidant.llm.adapters import AdapterRef
from confidant.llm.base import ChatMessage, ChatModel, GenerationParams
from confidant.runtime import Runtime
from confidant.safety import responses
from confidant.safety.crisis import Judgement
from tests.helpers import register

MODEL_SAYS = "words from the model"
WAIT_S = 10.0  # a bound, not a timing: the classifier gives up waiting after this


@dataclass
class Watched:
    """A real model's stand-in that says it has started: the classifier below waits for
    that, so a pipeline that held the model back for the verdict would be caught."""

    inner: ChatModel
    started: threading.Event = field(default_factory=threading.Event)
    calls: list[list[ChatMessage]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def provider(self) -> str:
        return self.inner.provider

    @property
    def context_window(self) -> int:
        return self.inner.context_window

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self.inner.count_tokens(messages)

    def tokens_each(self, messages: list[ChatMessage]) -> list[int]:
        return self.inner.tokens_each(messages)

    async def stream(
        self,
        messages: list[ChatMessage],
        params: GenerationParams,
        adapter: AdapterRef | None = None,
    ) -> AsyncIterator[str]:
        self.calls.append(messages)
        self.started.set()
        yield MODEL_SAYS

    async def aclose(self) -> None:
        return None


@dataclass
class Listener:
    """A classifier whose verdict comes only once the model has started (or WAIT_S)."""

    model: Watched
    verdict: Judgement | None
    model_had_started: list[bool] = field(default_factory=list)

    def judge(self, text: str, earlier: Sequence[str] = ()) -> Judgement:
        self.model_had_started.append(self.model.started.wait(WAIT_S))
        return self.verdict or Judgement("active_thoughts", False)

    def preload(self) -> None:
        return None

    def prime(self, text: str) -> None:
        return None


async def turn(
    runtime: Runtime,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    verdict: Judgement | None,
) -> tuple[list[Event[None]], Watched, Listener]:
    account = await register(client)
    async with runtime.db.transaction() as session:
        user = await session.get(User, account.user_id)
    assert user is not None
    model = Watched(runtime.models.for_reply())
    listener = Listener(model, verdict)
    monkeypatch.setattr(runtime.models, "for_reply", lambda name=None: model)
    monkeypatch.setattr(runtime.crisis, "classifier", listener)
    events = [
        e async for e in converse(runtime, Ask(user, "an ordinary day", "query"), KeepNothing())
    ]
    return events, model, listener


async def test_an_ordinary_reply_starts_before_the_classifiers_verdict(
    runtime: Runtime, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    events, model, listener = await turn(runtime, client, monkeypatch, None)
    assert listener.model_had_started == [True]
    assert not any(isinstance(e, Crisis) for e in events)
    assert [e.text for e in events if isinstance(e, Delta)] == [MODEL_SAYS]
    assert len(model.calls) == 1


@pytest.mark.parametrize(
    ("category", "fixed"), [("intent", True), ("wish_dead", False)], ids=["high", "moderate"]
)
async def test_what_the_classifier_hears_overrules_the_model_it_let_start(
    runtime: Runtime,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    category: str,
    fixed: bool,
) -> None:
    events, model, listener = await turn(runtime, client, monkeypatch, Judgement(category, True))
    assert listener.model_had_started == [True]
    assert isinstance(events[0], Crisis)
    (replied,) = [e for e in events if isinstance(e, Replied)]
    text = "".join(e.text for e in events if isinstance(e, Delta))
    assert replied.text == text
    assert text.startswith(events[0].resources)
    if fixed:
        assert MODEL_SAYS not in text
        assert responses.reach_a_person("en") in text
        assert len(model.calls) == 1  # only the start that was thrown away
    else:
        assert text.count(MODEL_SAYS) == 1  # the second start, after the resources
        assert len(model.calls) == 2
        assert responses.STAY_WITH_THEM in model.calls[-1][0]["content"]
