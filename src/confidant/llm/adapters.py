"""Per-request LoRA adapters on one in-process base model.

Several adapters stay loaded on the base model (least recently used evicted beyond a
capacity). A PEFT model runs with one active adapter at a time, and switching it while
another generation runs would hand that generation the wrong adapter, so requests take
turns by adapter: those wanting the active one (or none, for the base model) run
together; one wanting another waits until they finish, then switches. Turns are first
come, first served, so nobody starves behind a stream of others.

An adapter that cannot be applied (broken weights, a PEFT that this transformers
refuses) costs its owner their personalisation, never anyone their reply: the request
falls back to the base model, the adapter's owner is told through `on_failure`, and the
adapter is not tried again in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import tarfile
import warnings
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

# PEFT warns whenever a second adapter joins a model: several resident is the design.
warnings.filterwarnings("ignore", message="Already found a `peft_config` attribute in the model")
# transformers (5.23) reports the other resident adapters' weights as "MISSING" from each
# adapter it loads beside them, in a long table; the weights do load (checked in tests).
logging.getLogger("transformers.integrations.peft").setLevel(logging.ERROR)
_UNKNOWN = "\0unknown"
CONFIG_FILE, WEIGHTS_FILE = "adapter_config.json", "adapter_model.safetensors"
log = logging.getLogger("confidant")


@dataclass(frozen=True)
class AdapterRef:
    """A user's adapter: `name` identifies it (its model id); `load` returns its packed
    weights, and is called only when it is not already resident; `on_failure` hears why
    it could not be applied."""

    name: str
    load: Callable[[], Awaitable[bytes]]
    on_failure: Callable[[str], Awaitable[None]] | None = None


class AdapterResidency:
    def __init__(self, model: Any, capacity: int) -> None:
        self._model = model  # a transformers PreTrainedModel (PeftAdapterMixin)
        self._capacity = capacity
        self._resident: OrderedDict[str, None] = OrderedDict()
        self._active: str | None = None  # None: the base model, adapters off
        self._running = 0
        self._switching = False
        self._waiting: deque[object] = deque()
        self._wakeup = asyncio.Event()
        self._broken: set[str] = set()
        self.loads = 0  # cold loads so far
        self.switches = 0

    @property
    def resident(self) -> list[str]:
        return list(self._resident)

    @contextlib.asynccontextmanager
    async def use(self, adapter: AdapterRef | None) -> AsyncIterator[None]:
        """Run the body with `adapter` active (None: the base model alone); an adapter
        that fails to apply leaves the body on the base model."""
        if adapter is not None and adapter.name in self._broken:
            adapter = None
        try:
            await self._enter_with(adapter)
        except Exception as error:
            if adapter is None:
                raise
            await self._give_up_on(adapter, error)
            await self._enter_with(None)
        try:
            yield
        finally:
            self._running -= 1
            self._wake()

    async def _enter_with(self, adapter: AdapterRef | None) -> None:
        weights = None
        if adapter is not None and adapter.name not in self._resident:
            weights = await self._fetch(adapter)  # before our turn: others run meanwhile
        await self._enter(adapter, weights)

    async def _give_up_on(self, adapter: AdapterRef, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"[:500]
        log.warning(
            "adapter %s could not be applied, replying without it: %s", adapter.name, reason
        )
        self._broken.add(adapter.name)
        if adapter.on_failure is not None:
            try:
                await adapter.on_failure(reason)
            except Exception:
                log.exception("could not record that adapter %s failed", adapter.name)

    async def _fetch(self, adapter: AdapterRef) -> AdapterWeights:
        return await asyncio.to_thread(unpack, await adapter.load())

    async def _enter(self, adapter: AdapterRef | None, weights: AdapterWeights | None) -> None:
        name = adapter.name if adapter is not None else None
        ticket = object()
        self._waiting.append(ticket)
        try:
            while not self._may_enter(ticket, name):
                await self._wakeup.wait()
            self._running += 1
            must_switch = self._active != name
            self._switching = must_switch
        finally:
            self._waiting.remove(ticket)
            self._wake()
        if not must_switch:
            return
        try:
            if adapter is not None and weights is None and adapter.name not in self._resident:
                weights = await self._fetch(adapter)  # evicted while this request waited
            await asyncio.to_thread(self._switch, name, weights)
        except BaseException:
            self._active = _UNKNOWN  # a half-done switch: the next request switches again
            self._running -= 1
            raise
        finally:
            self._switching = False
            self._wake()

    def _may_enter(self, ticket: object, name: str | None) -> bool:
        if self._waiting[0] is not ticket or self._switching:
            return False
        return self._running == 0 or self._active == name

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _switch(self, name: str | None, weights: AdapterWeights | None) -> None:
        """Make `name` the active adapter; nothing else runs meanwhile."""
        self.switches += 1
        if name is None:
            if self._resident or self._active == _UNKNOWN:
                _disable_adapters(self._model)
            self._active = None
            return
        if name not in self._resident:
            assert weights is not None
            while len(self._resident) >= self._capacity:
                evicted, _ = self._resident.popitem(last=False)
                self._model.delete_adapter(evicted)
            self._model.load_adapter(
                adapter_name=name, peft_config=weights.config, adapter_state_dict=weights.state_dict
            )
            self.loads += 1
            self._resident[name] = None
        self._resident.move_to_end(name)
        self._model.enable_adapters()
        self._model.set_adapter(name)
        self._active = name


def _disable_adapters(model: Any) -> None:
    """The base model alone. When transformers refuses (it checks the PEFT version on
    every call), the adapter layers are switched off through PEFT itself, as
    transformers would: the base model must answer whatever state the adapters are in."""
    try:
        model.disable_adapters()
        return
    except Exception as error:
        log.warning("disabling adapters through transformers failed (%s); using PEFT", error)
    from peft.tuners.tuners_utils import BaseTunerLayer
    from peft.utils import ModulesToSaveWrapper

    for module in model.modules():
        if isinstance(module, BaseTunerLayer | ModulesToSaveWrapper):
            module.enable_adapters(enabled=False)


@dataclass(frozen=True)
class AdapterWeights:
    config: Any  # a peft LoraConfig
    state_dict: dict[str, Any]


def unpack(packed: bytes) -> AdapterWeights:
    """The config and tensors of a packed adapter, read in memory (nothing touches disk)."""
    from peft import PeftConfig
    from safetensors.torch import load

    with tarfile.open(fileobj=io.BytesIO(packed), mode="r") as archive:
        files = {}
        for name in (CONFIG_FILE, WEIGHTS_FILE):
            member = archive.extractfile(name)
            if member is None:
                raise ValueError(f"adapter archive lacks {name}")
            files[name] = member.read()
    config = PeftConfig.from_peft_type(**json.loads(files[CONFIG_FILE]))  # type: ignore[no-untyped-call]
    return AdapterWeights(config, load(files[WEIGHTS_FILE]))
