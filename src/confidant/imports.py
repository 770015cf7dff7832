"""One lock for importing the heavy ML libraries from worker threads.

transformers loads its modules lazily; two threads importing it at once (the model
registry loading a chat model while the embedder loads at start-up) can each see it
half-initialised and fail with "cannot import name ...". Imports of transformers and
sentence-transformers off the main thread take this lock first."""

import threading

ML_IMPORT_LOCK = threading.Lock()
