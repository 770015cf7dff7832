"""Where job kinds come from: each domain's `tasks.py` registers its handlers."""

from __future__ import annotations


def load_handlers() -> None:
    import confidant.finetune.tasks
    import confidant.rag.tasks  # noqa: F401
