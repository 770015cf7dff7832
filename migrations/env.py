from alembic import context

import confidant.tables  # noqa: F401  (registers every table on the metadata)
from confidant.db import Base
from confidant.migrate import run_online

run_online(context.config, Base.metadata)
