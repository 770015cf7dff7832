"""What a call tells its observers (metrics): no person, no chat, only figures."""

from __future__ import annotations

from typing import Protocol

from confidant.kit.hooks import Observers


class CallObserver(Protocol):
    def call_started(self) -> None: ...

    def call_ended(self) -> None: ...

    def first_audio(self, seconds: float) -> None:
        """From the end-of-turn decision to the reply's first audio frame sent."""

    def voice_to_voice(self, seconds: float) -> None:
        """From the end of the person's speech to the reply's first audio frame sent."""

    def barge_in(self) -> None: ...


class CallObservers(Observers[CallObserver]):
    def call_started(self) -> None:
        self.notify(lambda observer: observer.call_started())

    def call_ended(self) -> None:
        self.notify(lambda observer: observer.call_ended())

    def first_audio(self, seconds: float) -> None:
        self.notify(lambda observer: observer.first_audio(seconds))

    def voice_to_voice(self, seconds: float) -> None:
        self.notify(lambda observer: observer.voice_to_voice(seconds))

    def barge_in(self) -> None:
        self.notify(lambda observer: observer.barge_in())
