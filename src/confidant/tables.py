"""Imports every model module, so `Base.metadata` knows every table (and every foreign
key between them) in any process, not only those that happen to import them all."""

import confidant.auth.models
import confidant.chats.models
import confidant.diary.models
import confidant.finetune.models
import confidant.jobs.models
import confidant.ledger.models
import confidant.rag.models
import confidant.safety.models
import confidant.sensors.models
import confidant.tracking.models
import confidant.users.models
import confidant.voice.models
import confidant.wellbeing.models  # noqa: F401
