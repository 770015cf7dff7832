"""The ledger as the rest of the process sees it: one object built at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from confidant.config import Settings
from confidant.kit.db import Database
from confidant.ledger.anchor import ChainAnchor
from confidant.ledger.checkpoints import CheckpointSigner
from confidant.ledger.leaves import Pseudonyms
from confidant.ledger.recorder import WriteRecorder
from confidant.ledger.sequencer import ApiCallBuffer, CheckpointPolicy, Sequencer

PSEUDONYM_SECRET = "ledger-pseudonyms"


@dataclass
class Ledger:
    pseudonyms: Pseudonyms
    recorder: WriteRecorder
    signer: CheckpointSigner
    calls: ApiCallBuffer
    anchor: ChainAnchor | None

    @classmethod
    def build(cls, settings: Settings, pseudonym_key: bytes) -> Ledger:
        pseudonyms = Pseudonyms(pseudonym_key)
        return cls(
            pseudonyms=pseudonyms,
            recorder=WriteRecorder(pseudonyms),
            signer=CheckpointSigner.from_settings(settings),
            calls=ApiCallBuffer(),
            anchor=ChainAnchor.from_settings(settings),
        )

    def sequencer(self, settings: Settings, db: Database) -> Sequencer:
        return Sequencer(
            db,
            self.signer,
            self.calls,
            CheckpointPolicy(settings.ledger_checkpoint_leaves, settings.ledger_checkpoint_seconds),
            settings.ledger_batch_size,
            self.anchor,
        )
