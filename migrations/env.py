from alembic import context

import confidant.auth.models  # noqa: F401  (registers tables on the metadata)
import confidant.chats.models  # noqa: F401
import confidant.diary.models  # noqa: F401
import confidant.ledger.models  # noqa: F401
import confidant.rag.models  # noqa: F401
import confidant.safety.models  # noqa: F401
import confidant.users.models  # noqa: F401
from confidant.db import Base
from confidant.migrate import run_online

run_online(context.config, Base.metadata)
