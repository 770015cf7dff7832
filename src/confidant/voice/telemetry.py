"""What a voice turn tells its observers: how long the person waited."""

from __future__ import annotations

from typing import Protocol

from confidant.kit.hooks import Observers


class VoiceObserver(Protocol):
    def first_audio(self, seconds: float) -> None:
        """The reply's first sentence was spoken, `seconds` after the recording arrived."""

    def voice_turn(self, seconds: float) -> None:
        """A voice message was answered and kept, spoken reply and all, in `seconds`."""


class VoiceObservers(Observers[VoiceObserver]):
    def first_audio(self, seconds: float) -> None:
        self.notify(lambda observer: observer.first_audio(seconds))

    def voice_turn(self, seconds: float) -> None:
        self.notify(lambda observer: observer.voice_turn(seconds))
