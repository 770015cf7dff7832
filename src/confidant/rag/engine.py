"""The pieces of the retrieval pipeline a process holds once: embedder, splitter, store."""

from __future__ import annotations

import asyncio
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from confidant.config import Settings
from confidant.kit.coalescing import Coalescer
from confidant.rag.embedder import Embedder
from confidant.rag.keyword import KeywordIndexCache
from confidant.rag.splitter import DiarySplitter
from confidant.rag.vector_store import LanceVectorStore, QdrantVectorStore, VectorStore


class RagEngine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = Embedder(settings.embedding_model, settings.embedding_batch_size)
        self.keywords = KeywordIndexCache()
        # concurrent turns' queries are embedded together, not in a thread each
        self.embed_query: Coalescer[str, NDArray[np.float32]] = Coalescer(
            lambda texts: self.embedder.encode(texts), max_batch=settings.embedding_batch_size
        )
        self._store: VectorStore | None = None
        self._store_lock = asyncio.Lock()

    @cached_property
    def splitter(self) -> DiarySplitter:
        return DiarySplitter(
            self.embedder.count_tokens,
            max_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
        )

    async def store(self) -> VectorStore:
        """The vector store, opened on first use (its schema needs the embedding size)."""
        async with self._store_lock:
            if self._store is None:
                dimension = await asyncio.to_thread(lambda: self.embedder.dimension)
                self._store = self._open_store(dimension)
            return self._store

    def _open_store(self, dimension: int) -> VectorStore:
        settings = self.settings
        if settings.vector_store == "qdrant":
            if not settings.qdrant_url:
                raise ValueError("CONFIDANT_VECTOR_STORE=qdrant needs CONFIDANT_QDRANT_URL")
            return QdrantVectorStore.from_url(
                settings.qdrant_url, settings.qdrant_api_key, settings.qdrant_collection, dimension
            )
        return LanceVectorStore(settings.data_dir / "vectors", dimension)

    async def preload(self) -> None:
        """Load the embedding model and open the store now (in the background at start-up),
        so the first indexing job or search does not stall for seconds."""
        await asyncio.to_thread(lambda: self.embedder.dimension)
        await self.store()

    def use_store(self, store: VectorStore) -> None:
        """Replace the store (e.g. a Qdrant client built elsewhere)."""
        self._store = store

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
