"""Vector stores: LanceDB embedded (the default, one table per user) and a Qdrant server.

A store holds vectors, chunk ids, the user id, dates and tags: never text.
Why LanceDB by default: docs/BENCHMARKS.md (qdrant-client's local mode took ~1 s a
query at a tenth of the required scale; LanceDB with a table per user passes the bar).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class VectorRecord:
    chunk_id: str
    source_id: str
    day: date
    vector: NDArray[np.float32]
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float


class VectorStore(Protocol):
    async def upsert(self, user_id: str, records: list[VectorRecord]) -> None: ...

    async def delete_sources(self, user_id: str, source_ids: list[str]) -> None: ...

    async def delete_user(self, user_id: str) -> None: ...

    async def search(
        self,
        user_id: str,
        vector: NDArray[np.float32],
        limit: int,
        since: date | None = None,
        until: date | None = None,
        version: int | None = None,
    ) -> list[Hit]:
        """`version`: the user's index version (rag_index_state), for stores that cache."""

    async def warm(self, user_id: str, version: int) -> None:
        """Bring the user's vectors at `version` into memory, for stores that cache."""

    def append(self, user_id: str, before: int, after: int, records: list[VectorRecord]) -> bool:
        """Extend an in-memory copy that is exactly at `before`; False when there is none."""

    async def close(self) -> None: ...


SAFE_ID = re.compile(r"^[A-Za-z0-9\-]+$")


def _quoted(value: str) -> str:
    if not SAFE_ID.match(value):
        raise ValueError(f"unexpected characters in id {value!r}")
    return f"'{value}'"


@dataclass
class _UserVectors:
    version: int | None
    ids: NDArray[np.object_]
    days: NDArray[np.int32]
    vectors: NDArray[np.float32]

    @property
    def size(self) -> int:
        return int(self.vectors.nbytes + self.days.nbytes + 64 * len(self.ids))


class LanceVectorStore:
    """One LanceDB table per user: a search touches only that user's vectors.

    Searches run on an in-memory copy of the user's vectors (exact, a matrix product),
    loaded from the table on first use and dropped whenever the user's vectors change;
    the least recently used users leave memory first. LanceDB is the durable copy."""

    def __init__(self, path: Path, dimension: int, cache_bytes: int = 512 * 2**20) -> None:
        import lancedb

        path.mkdir(parents=True, exist_ok=True)
        self.db = lancedb.connect(str(path))
        self.dimension = dimension
        self._tables: dict[str, Any] = {}
        self._lock = asyncio.Lock()
        self._cache: OrderedDict[str, _UserVectors] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cache_lock = threading.Lock()
        self._generations: dict[str, int] = {}

    def _schema(self) -> Any:
        import pyarrow as pa

        return pa.schema(
            [
                pa.field("id", pa.string()),
                pa.field("source_id", pa.string()),
                pa.field("day", pa.int32()),
                pa.field("tags", pa.list_(pa.string())),
                pa.field("vector", pa.list_(pa.float32(), self.dimension)),
            ]
        )

    @staticmethod
    def _table_name(user_id: str) -> str:
        return "u_" + user_id.replace("-", "")

    def _table(self, user_id: str, create: bool) -> Any:
        name = self._table_name(user_id)
        table = self._tables.get(name)
        if table is not None:
            return table
        if create:
            table = self.db.create_table(name, schema=self._schema(), exist_ok=True)
        else:
            try:
                table = self.db.open_table(name)
            except ValueError:  # LanceDB's "table was not found"
                return None
        self._tables[name] = table
        return table

    async def upsert(self, user_id: str, records: list[VectorRecord]) -> None:
        if not records:
            return
        rows = [
            {
                "id": r.chunk_id,
                "source_id": r.source_id,
                "day": r.day.toordinal(),
                "tags": list(r.tags),
                "vector": r.vector.astype(np.float32),
            }
            for r in records
        ]
        async with self._lock:
            await asyncio.to_thread(self._upsert, user_id, rows)

    def _upsert(self, user_id: str, rows: list[dict[str, Any]]) -> None:
        # Chunk ids are fresh on every indexing (an edit replaces a source's chunks through
        # delete_sources), so rows are only ever added, never overwritten.
        self._table(user_id, create=True).add(rows)
        # The in-memory copy is not dropped: it is extended by `append`, or found stale by
        # its index version at the next search.

    async def delete_sources(self, user_id: str, source_ids: list[str]) -> None:
        if not source_ids:
            return
        async with self._lock:
            table = await asyncio.to_thread(self._table, user_id, False)
            if table is not None:
                ids = ", ".join(_quoted(s) for s in source_ids)
                await asyncio.to_thread(table.delete, f"source_id IN ({ids})")
                self._forget(user_id)

    async def delete_user(self, user_id: str) -> None:
        async with self._lock:
            name = self._table_name(user_id)
            self._tables.pop(name, None)
            self._forget(user_id)
            try:
                await asyncio.to_thread(self.db.drop_table, name)
            except ValueError:  # the user had no vectors
                pass

    async def search(
        self,
        user_id: str,
        vector: NDArray[np.float32],
        limit: int,
        since: date | None = None,
        until: date | None = None,
        version: int | None = None,
    ) -> list[Hit]:
        cached = self._cached(user_id, version)
        if cached is not None:  # a matrix product over one user's vectors: ~1 ms, inline
            return self._rank(cached, vector, limit, since, until)
        vectors = await asyncio.to_thread(self._vectors, user_id, version)
        return self._rank(vectors, vector, limit, since, until) if vectors else []

    @staticmethod
    def _rank(
        vectors: _UserVectors,
        vector: NDArray[np.float32],
        limit: int,
        since: date | None,
        until: date | None,
    ) -> list[Hit]:
        if not len(vectors.ids):
            return []
        # Embeddings are normalised, so the dot product is the cosine similarity.
        query = vector.astype(np.float32)
        if since is None and until is None:
            # The matrix itself: picking rows by index copies them (15 MB a query for a
            # 10,000-chunk user, which cost more than the product).
            candidates = None
            scores = vectors.vectors @ query
        else:
            inside = np.ones(len(vectors.ids), dtype=bool)
            if since is not None:
                inside &= vectors.days >= since.toordinal()
            if until is not None:
                inside &= vectors.days <= until.toordinal()
            candidates = np.flatnonzero(inside)
            if not len(candidates):
                return []
            scores = vectors.vectors[candidates] @ query
        count = min(limit, len(scores))
        best = np.argpartition(-scores, count - 1)[:count]
        best = best[np.argsort(-scores[best])]
        rows = best if candidates is None else candidates[best]
        return [
            Hit(str(vectors.ids[row]), float(scores[i])) for row, i in zip(rows, best, strict=True)
        ]

    def _cached(self, user_id: str, version: int | None) -> _UserVectors | None:
        """The user's vectors if in memory and current (`version`: another process may
        have changed them)."""
        with self._cache_lock:
            cached = self._cache.get(user_id)
            if cached is not None and (version is None or cached.version == version):
                self._cache.move_to_end(user_id)
                return cached
            return None

    def _vectors(self, user_id: str, version: int | None) -> _UserVectors | None:
        if (cached := self._cached(user_id, version)) is not None:
            return cached
        with self._cache_lock:
            generation = self._generations.get(user_id, 0)
        try:  # opened afresh: a table object stays on the version it was opened at
            table = self.db.open_table(self._table_name(user_id))
        except ValueError:  # LanceDB's "table was not found"
            return None
        data = table.to_arrow().select(["id", "day", "vector"])
        loaded = _UserVectors(
            version=version,
            ids=np.array(data.column("id").to_pylist(), dtype=object),
            days=np.asarray(data.column("day").to_numpy(), dtype=np.int32),
            vectors=np.asarray(
                data.column("vector").combine_chunks().flatten().to_numpy(), dtype=np.float32
            ).reshape(-1, self.dimension),
        )
        with self._cache_lock:
            if self._generations.get(user_id, 0) != generation:
                return loaded  # the vectors changed while loading: use, don't keep
            self._cache[user_id] = loaded
            while (
                sum(v.size for v in self._cache.values()) > self._cache_bytes
                and len(self._cache) > 1
            ):
                self._cache.popitem(last=False)
        return loaded

    def _forget(self, user_id: str) -> None:
        with self._cache_lock:
            self._cache.pop(user_id, None)
            self._generations[user_id] = self._generations.get(user_id, 0) + 1

    async def warm(self, user_id: str, version: int) -> None:
        await asyncio.to_thread(self._vectors, user_id, version)

    def append(self, user_id: str, before: int, after: int, records: list[VectorRecord]) -> bool:
        with self._cache_lock:
            cached = self._cache.get(user_id)
            if cached is None or cached.version != before:
                return False
            self._cache[user_id] = _UserVectors(
                version=after,
                ids=np.concatenate([cached.ids, np.array([r.chunk_id for r in records], object)]),
                days=np.concatenate(
                    [cached.days, np.array([r.day.toordinal() for r in records], np.int32)]
                ),
                vectors=np.vstack([cached.vectors, *[r.vector[None, :] for r in records]]),
            )
            return True

    def compact(self, user_id: str) -> None:
        """Merge small fragments and drop old versions (after many edits)."""
        table = self._table(user_id, create=False)
        if table is not None:
            table.optimize()

    async def close(self) -> None:
        self._tables.clear()


class QdrantVectorStore:
    """One Qdrant collection; user id is an indexed tenant field and every search filters it."""

    def __init__(self, client: Any, collection: str, dimension: int) -> None:
        self.client = client
        self.collection = collection
        self.dimension = dimension
        self._ready = False

    @classmethod
    def from_url(
        cls, url: str, api_key: str | None, collection: str, dimension: int
    ) -> QdrantVectorStore:
        from qdrant_client import AsyncQdrantClient

        return cls(AsyncQdrantClient(url=url, api_key=api_key), collection, dimension)

    async def _ensure_collection(self) -> None:
        if self._ready:
            return
        from qdrant_client import models

        if not await self.client.collection_exists(self.collection):
            await self.client.create_collection(
                self.collection,
                vectors_config=models.VectorParams(
                    size=self.dimension, distance=models.Distance.COSINE
                ),
            )
            await self.client.create_payload_index(
                self.collection,
                "user_id",
                field_schema=models.KeywordIndexParams(
                    type=models.KeywordIndexType.KEYWORD, is_tenant=True
                ),
            )
            await self.client.create_payload_index(
                self.collection, "day", field_schema=models.PayloadSchemaType.INTEGER
            )
            await self.client.create_payload_index(
                self.collection, "source_id", field_schema=models.PayloadSchemaType.KEYWORD
            )
        self._ready = True

    async def upsert(self, user_id: str, records: list[VectorRecord]) -> None:
        if not records:
            return
        from qdrant_client import models

        await self._ensure_collection()
        points = [
            models.PointStruct(
                id=r.chunk_id,
                vector=r.vector.astype(np.float32).tolist(),
                payload={
                    "user_id": user_id,
                    "source_id": r.source_id,
                    "day": r.day.toordinal(),
                    "tags": list(r.tags),
                },
            )
            for r in records
        ]
        await self.client.upsert(self.collection, points=points, wait=True)

    def _owned(self, user_id: str, *more: Any) -> Any:
        from qdrant_client import models

        return models.Filter(
            must=[
                models.FieldCondition(key="user_id", match=models.MatchValue(value=user_id)),
                *more,
            ]
        )

    async def delete_sources(self, user_id: str, source_ids: list[str]) -> None:
        if not source_ids:
            return
        from qdrant_client import models

        await self._ensure_collection()
        condition = models.FieldCondition(key="source_id", match=models.MatchAny(any=source_ids))
        await self.client.delete(
            self.collection,
            points_selector=models.FilterSelector(filter=self._owned(user_id, condition)),
            wait=True,
        )

    async def delete_user(self, user_id: str) -> None:
        from qdrant_client import models

        await self._ensure_collection()
        await self.client.delete(
            self.collection,
            points_selector=models.FilterSelector(filter=self._owned(user_id)),
            wait=True,
        )

    async def search(
        self,
        user_id: str,
        vector: NDArray[np.float32],
        limit: int,
        since: date | None = None,
        until: date | None = None,
        version: int | None = None,
    ) -> list[Hit]:
        from qdrant_client import models

        await self._ensure_collection()
        more = []
        if since is not None or until is not None:
            more.append(
                models.FieldCondition(
                    key="day",
                    range=models.Range(
                        gte=since.toordinal() if since else None,
                        lte=until.toordinal() if until else None,
                    ),
                )
            )
        result = await self.client.query_points(
            self.collection,
            query=vector.astype(np.float32).tolist(),
            query_filter=self._owned(user_id, *more),
            limit=limit,
        )
        return [Hit(str(point.id), float(point.score)) for point in result.points]

    async def warm(self, user_id: str, version: int) -> None:
        return None  # the server holds everything

    def append(self, user_id: str, before: int, after: int, records: list[VectorRecord]) -> bool:
        return True  # nothing held in memory

    async def close(self) -> None:
        await self.client.close()
