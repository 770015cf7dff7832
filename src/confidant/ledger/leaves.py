"""What a leaf says: canonical JSON of hashes, HMACs and route names, never personal data.

Two kinds: an API call (method, route template, status, who as a pseudonym, request
id, time, duration, SHA-256 of the body) and a row write (table, operation, HMAC of the
primary key, SHA-256 of the row as stored, ciphertext included)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Table

LEAF_VERSION = 1
API_CALL = "api"
ROW_WRITE = "row"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class Pseudonyms:
    """Keyed hashes that let the ledger group and find entries without naming anyone."""

    def __init__(self, key: bytes) -> None:
        self._subject_key = hmac.new(key, b"ledger subject", hashlib.sha256).digest()
        self._row_key = hmac.new(key, b"ledger row", hashlib.sha256).digest()
        self._subjects: dict[str, str] = {}

    def subject(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        known = self._subjects.get(user_id)
        if known is None:
            if len(self._subjects) > 100_000:
                self._subjects.clear()
            known = hmac.new(self._subject_key, user_id.encode(), hashlib.sha256).hexdigest()
            self._subjects[user_id] = known
        return known

    def row(self, table: str, primary_key: Sequence[Any]) -> str:
        message = canonical_json([table, [_plain(value) for value in primary_key]])
        return hmac.new(self._row_key, message, hashlib.sha256).hexdigest()


def _plain(value: Any) -> Any:
    """A JSON value that reads the same whichever backend the row came from."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return {"ts": timestamp(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, float):
        return {"f": repr(value)}
    return value


def row_digest(table: Table, row: Mapping[Any, Any]) -> str:
    """SHA-256 of a row's stored content, by column name, as canonical JSON."""
    content = {}
    for column in table.columns:
        value = row.get(column.key)
        if value is not None and isinstance(column.type, Float):
            value = float(value)
        content[column.key] = _plain(value)
    return hashlib.sha256(canonical_json(content)).hexdigest()


def api_call_leaf(
    *,
    method: str,
    route: str,
    status: int,
    subject: str | None,
    request_id: str,
    at: datetime,
    duration_ms: float,
    body_sha256: str,
) -> bytes:
    """`canonical_json` of the call's fields, formatted directly: this runs on every
    request, and json.dumps with sorted keys costs several times more."""
    return (
        f'{{"at":"{timestamp(at)}","bodySha256":{_string(body_sha256)},'
        f'"durationMs":{round(duration_ms, 3)!r},"kind":"{API_CALL}",'
        f'"method":{_string(method)},"requestId":{_string(request_id)},'
        f'"route":{_string(route)},"status":{int(status)},'
        f'"subject":{"null" if subject is None else _string(subject)},"v":{LEAF_VERSION}}}'
    ).encode()


_string = json.encoder.encode_basestring_ascii


def row_write_leaf(
    *,
    table: str,
    operation: str,
    row_key: str,
    row_sha256: str | None,
    subject: str | None,
    request_id: str | None,
    at: datetime,
) -> bytes:
    return canonical_json(
        {
            "v": LEAF_VERSION,
            "kind": ROW_WRITE,
            "table": table,
            "op": operation,
            "rowKey": row_key,
            "rowSha256": row_sha256,
            "subject": subject,
            "requestId": request_id,
            "at": timestamp(at),
        }
    )


@dataclass(frozen=True)
class LeafSummary:
    """How a leaf reads in a user's trail."""

    action: str
    at: str


def summarize(data: bytes) -> LeafSummary:
    fields = json.loads(data)
    if fields.get("kind") == API_CALL:
        action = f"{fields['method']} {fields['route']} {fields['status']}"
    else:
        action = f"{fields['op']} {fields['table']}"
    return LeafSummary(action=action, at=fields["at"])
