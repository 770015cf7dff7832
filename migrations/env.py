from alembic import context

import confidant.runtime  # noqa: F401  (registers every table on the metadata)
from confidant.kit.db import Base
from confidant.kit.migrate import run_online

run_online(context.config, Base.metadata)
