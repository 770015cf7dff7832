"""What `converse` yields; each channel frames these for its transport."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar

from confidant.kit.errors import DomainError
from confidant.rag.schemas import SourceOut

if TYPE_CHECKING:
    from confidant.companion.service import PreparedReply

Kept = TypeVar("Kept")


@dataclass(frozen=True)
class Crisis:
    """Help, sent before retrieval and before the model start; `severity` "high" means
    the reply is the fixed safety message, not the model's."""

    resources: str
    severity: str


@dataclass(frozen=True)
class Sources:
    """The reply is grounded and about to be written: what it draws on, by which model."""

    prepared: PreparedReply

    @property
    def sources(self) -> Sequence[SourceOut]:
        return self.prepared.sources


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Replied(Generic[Kept]):
    """The whole reply, and what the channel's keeper stored of the turn."""

    text: str
    kept: Kept
    prepared: PreparedReply


@dataclass(frozen=True)
class Failed:
    error: DomainError


Event: TypeAlias = Crisis | Sources | Delta | Replied[Kept] | Failed
