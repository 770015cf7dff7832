from alembic import context

from confidant.crypto.keystore import KeystoreBase
from confidant.kit.migrate import run_online

run_online(context.config, KeystoreBase.metadata)
