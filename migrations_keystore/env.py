from alembic import context

from confidant.crypto.keystore import KeystoreBase
from confidant.migrate import run_online

run_online(context.config, KeystoreBase.metadata)
