"""Vector stores: LanceDB embedded (the default, one table per user) and a Qdrant server.

A store holds vectors, chunk ids, the user id, dates and tags: never text.
Why LanceDB by default: docs/BENCHMARKS.md (qdrant-client's local mode took ~1 s a
query at a tenth of the required scale; LanceDB with a table per user passes the bar).
"""

from __future__ import annotations

import asyncio
import re
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
    ) -> list[Hit]: ...

    async def close(self) -> None: ...


SAFE_ID = re.compile(r"^[A-Za-z0-9\-]+$")


def _quoted(value: str) -> str:
    if not SAFE_ID.match(value):
        raise ValueError(f"unexpected characters in id {value!r}")
    return f"'{value}'"


class LanceVectorStore:
    """One LanceDB table per user: a search touches only that user's vectors."""

    def __init__(self, path: Path, dimension: int) -> None:
        import lancedb

        path.mkdir(parents=True, exist_ok=True)
        self.db = lancedb.connect(str(path))
        self.dimension = dimension
        self._tables: dict[str, Any] = {}
        self._lock = asyncio.Lock()

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
        table = self._table(user_id, create=True)
        ids = ", ".join(_quoted(row["id"]) for row in rows)
        table.delete(f"id IN ({ids})")
        table.add(rows)

    async def delete_sources(self, user_id: str, source_ids: list[str]) -> None:
        if not source_ids:
            return
        async with self._lock:
            table = await asyncio.to_thread(self._table, user_id, False)
            if table is not None:
                ids = ", ".join(_quoted(s) for s in source_ids)
                await asyncio.to_thread(table.delete, f"source_id IN ({ids})")

    async def delete_user(self, user_id: str) -> None:
        async with self._lock:
            name = self._table_name(user_id)
            self._tables.pop(name, None)
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
    ) -> list[Hit]:
        return await asyncio.to_thread(self._search, user_id, vector, limit, since, until)

    def _search(
        self,
        user_id: str,
        vector: NDArray[np.float32],
        limit: int,
        since: date | None,
        until: date | None,
    ) -> list[Hit]:
        table = self._table(user_id, create=False)
        if table is None:
            return []
        query = table.search(vector.astype(np.float32)).metric("cosine").limit(limit)
        conditions = []
        if since is not None:
            conditions.append(f"day >= {since.toordinal()}")
        if until is not None:
            conditions.append(f"day <= {until.toordinal()}")
        if conditions:
            query = query.where(" AND ".join(conditions), prefilter=True)
        rows = query.select(["id", "_distance"]).to_list()
        return [Hit(row["id"], 1.0 - float(row["_distance"])) for row in rows]

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

    async def close(self) -> None:
        await self.client.close()
