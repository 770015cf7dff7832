"""Row-write leaves, written to the outbox in the same transaction as the write itself.

Three ways a row changes, three hooks:
- the unit of work (add/modify/delete objects): `after_flush` sees every instance;
- ORM bulk statements (`session.execute(update(...))` and friends): `do_orm_execute`
  reads the affected keys first and the new rows after;
- the database's own ON DELETE CASCADE / SET NULL: the rows that depend on a deleted
  row are read before the delete, so their removal or change is recorded too.

Sessions carry the recorder in `session.info`; sessions without one (the keystore's,
the ledger's own) record nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, delete, event, false, insert, inspect, select, tuple_
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.dml import Delete, Insert, Update

from confidant.kit.db import Base, utcnow
from confidant.ledger.context import current_call
from confidant.ledger.leaves import Pseudonyms, row_digest, row_write_leaf
from confidant.ledger.models import LEDGER_TABLES, LedgerOutbox

RECORDER_INFO_KEY = "ledger_recorder"
_DEPENDENTS_INFO_KEY = "ledger_dependents"
INSERT, UPDATE, DELETE = "insert", "update", "delete"
_KEY_BATCH = 500


@dataclass
class _Dependents:
    """Rows the database itself will delete (cascade) or change (set null)."""

    deleted: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)
    nulled: list[tuple[Table, tuple[Any, ...]]] = field(default_factory=list)


class WriteRecorder:
    def __init__(self, pseudonyms: Pseudonyms) -> None:
        self.pseudonyms = pseudonyms

    @staticmethod
    def records(table: Table) -> bool:
        return table.metadata is Base.metadata and table.name not in LEDGER_TABLES

    def outbox_row(self, table: Table, operation: str, row: Mapping[str, Any]) -> dict[str, Any]:
        call = current_call()
        subject = self.pseudonyms.subject(_owner(table, row))
        data = row_write_leaf(
            table=table.name,
            operation=operation,
            row_key=self.pseudonyms.row(table.name, _key_of(table, row)),
            row_sha256=None if operation == DELETE else row_digest(table, row),
            subject=subject,
            request_id=call.request_id if call else None,
            at=utcnow(),
        )
        return {"data": data, "subject": subject}


def _owner(table: Table, row: Mapping[str, Any]) -> str | None:
    owner = row.get("id") if table.name == "users" else row.get("user_id")
    return owner if isinstance(owner, str) else None


def _key_of(table: Table, row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column.key] for column in table.primary_key.columns)


def _instance_row(instance: Any) -> tuple[Table, dict[str, Any]]:
    mapper = inspect(instance).mapper
    table = mapper.local_table
    assert isinstance(table, Table)
    row = {
        column.key: getattr(instance, mapper.get_property_by_column(column).key)
        for column in table.columns
    }
    return table, row


def _write(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(LedgerOutbox), rows)


def _key_match(table: Table, keys: Sequence[tuple[Any, ...]]) -> ColumnElement[bool]:
    columns = list(table.primary_key.columns)
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in keys])
    return tuple_(*columns).in_(keys)


def _rows_by_key(
    connection: Connection, table: Table, keys: Sequence[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    return _rows_matching(connection, table, keys, lambda batch: _key_match(table, batch))


def _rows_matching(
    connection: Connection,
    table: Table,
    values: Sequence[Any],
    match: Callable[[Sequence[Any]], ColumnElement[bool]],
) -> list[dict[str, Any]]:
    """Whole rows of `table` that `match` a batch of `values`, a few hundred per query."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(values), _KEY_BATCH):
        result = connection.execute(select(table).where(match(values[start : start + _KEY_BATCH])))
        rows += [dict(row) for row in result.mappings()]
    return rows


# --- what the database does on its own when a row is deleted ---------------------------


def _dependents(
    connection: Connection, table: Table, keys: Sequence[tuple[Any, ...]]
) -> _Dependents:
    found = _Dependents()
    pending = [(table, list(keys))]
    while pending:
        parent, parent_keys = pending.pop()
        if not parent_keys:
            continue
        _lock_against_new_children(connection, parent, parent_keys)
        for child in Base.metadata.sorted_tables:
            for fk in child.foreign_keys:
                if fk.column.table is not parent or fk.ondelete is None:
                    continue
                ondelete = fk.ondelete.upper()
                if ondelete not in ("CASCADE", "SET NULL"):
                    continue
                referenced = [key[_position(parent, fk.column.key)] for key in parent_keys]
                rows = _rows_matching(connection, child, referenced, child.c[fk.parent.key].in_)
                if ondelete == "CASCADE":
                    found.deleted += [(child, row) for row in rows]
                    pending.append((child, [_key_of(child, row) for row in rows]))
                else:
                    found.nulled += [(child, _key_of(child, row)) for row in rows]
    return found


def _lock_against_new_children(
    connection: Connection, table: Table, keys: Sequence[tuple[Any, ...]]
) -> None:
    """Lock the rows about to be deleted before their dependents are read: a child row
    another transaction commits in between would otherwise go with the cascade,
    unrecorded. PostgreSQL's FOR UPDATE makes that insert wait (its foreign-key check
    takes a KEY SHARE lock on the parent); SQLite has the whole-database write lock,
    taken by `_take_sqlite_write_lock` before any of this is read."""
    if not _has_dependents(table) or connection.dialect.name == "sqlite":
        return
    key_columns = list(table.primary_key.columns)
    for start in range(0, len(keys), _KEY_BATCH):
        batch = keys[start : start + _KEY_BATCH]
        connection.execute(select(*key_columns).where(_key_match(table, batch)).with_for_update())


def _take_sqlite_write_lock(connection: Connection) -> None:
    """The rows a write is recorded from are read before it; on SQLite they must be the
    rows it changes. pysqlite begins a transaction only at the first write statement,
    so reads before it each see the latest commit: another writer's child row could
    land between the read and a delete's cascade. A write that matches nothing takes
    the database's write lock now, and no one else commits until this transaction ends."""
    if connection.dialect.name == "sqlite":
        connection.execute(delete(LedgerOutbox).where(false()))


@functools.cache  # the schema does not change while the process runs
def _has_dependents(table: Table) -> bool:
    return any(
        fk.column.table is table and (fk.ondelete or "").upper() in ("CASCADE", "SET NULL")
        for child in Base.metadata.sorted_tables
        for fk in child.foreign_keys
    )


def _position(table: Table, column_key: str) -> int:
    return [column.key for column in table.primary_key.columns].index(column_key)


def _dependent_leaves(
    recorder: WriteRecorder, connection: Connection, dependents: _Dependents
) -> list[dict[str, Any]]:
    leaves = [recorder.outbox_row(table, DELETE, row) for table, row in dependents.deleted]
    by_table: dict[Table, list[tuple[Any, ...]]] = {}
    for table, key in dependents.nulled:
        by_table.setdefault(table, []).append(key)
    for table, keys in by_table.items():
        leaves += [
            recorder.outbox_row(table, UPDATE, row) for row in _rows_by_key(connection, table, keys)
        ]
    return leaves


# --- the unit of work -------------------------------------------------------------------


def before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if RECORDER_INFO_KEY not in session.info or not session.deleted:
        return
    connection = session.connection()
    _take_sqlite_write_lock(connection)
    dependents = _Dependents()
    for instance in session.deleted:
        table, row = _instance_row(instance)
        found = _dependents(connection, table, [_key_of(table, row)])
        dependents.deleted += found.deleted
        dependents.nulled += found.nulled
    session.info[_DEPENDENTS_INFO_KEY] = dependents


def after_flush(session: Session, _flush: UOWTransaction) -> None:
    recorder: WriteRecorder | None = session.info.get(RECORDER_INFO_KEY)
    if recorder is None:
        return
    leaves = [
        *_leaves_for(recorder, session.new, INSERT),
        *_leaves_for(recorder, (i for i in session.dirty if session.is_modified(i)), UPDATE),
        *_leaves_for(recorder, session.deleted, DELETE),
    ]
    dependents = session.info.pop(_DEPENDENTS_INFO_KEY, None)
    connection = session.connection()
    if dependents is not None:
        leaves += _dependent_leaves(recorder, connection, dependents)
    _write(connection, leaves)


def _leaves_for(
    recorder: WriteRecorder, instances: Iterable[Any], operation: str
) -> list[dict[str, Any]]:
    leaves = []
    for instance in instances:
        table, row = _instance_row(instance)
        if recorder.records(table):
            leaves.append(recorder.outbox_row(table, operation, row))
    return leaves


# --- ORM bulk statements ----------------------------------------------------------------


def on_orm_execute(state: ORMExecuteState) -> Any:
    recorder: WriteRecorder | None = state.session.info.get(RECORDER_INFO_KEY)
    if recorder is None or not (state.is_insert or state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    table = mapper.local_table if mapper is not None else None
    if not isinstance(table, Table) or not recorder.records(table):
        return None
    connection = state.session.connection()
    statement = state.statement
    if isinstance(statement, Insert):
        result = state.invoke_statement()
        _write(connection, _inserted_leaves(recorder, connection, table, state.parameters))
        return result
    assert isinstance(statement, Update | Delete)
    _take_sqlite_write_lock(connection)
    targets = _targets(connection, table, statement.whereclause)
    keys = [_key_of(table, row) for row in targets]
    if isinstance(statement, Delete):
        dependents = _dependents(connection, table, keys)
        result = state.invoke_statement()
        leaves = [recorder.outbox_row(table, DELETE, row) for row in targets]
        leaves += _dependent_leaves(recorder, connection, dependents)
    else:
        result = state.invoke_statement()
        leaves = [
            recorder.outbox_row(table, UPDATE, row) for row in _rows_by_key(connection, table, keys)
        ]
    _write(connection, leaves)
    return result


def _targets(
    connection: Connection, table: Table, where: ColumnElement[bool] | None
) -> list[dict[str, Any]]:
    """Key and owner of each row a bulk update or delete is about to touch."""
    columns = list(table.primary_key.columns)
    for owner in ("user_id", "id"):
        if owner in table.c and table.c[owner] not in columns:
            columns.append(table.c[owner])
    query = select(*columns)
    if where is not None:
        query = query.where(where)
    return [dict(row) for row in connection.execute(query).mappings()]


def _inserted_leaves(
    recorder: WriteRecorder,
    connection: Connection,
    table: Table,
    parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
) -> list[dict[str, Any]]:
    if not parameters:
        raise NotImplementedError(f"bulk insert into {table.name} without rows to record")
    rows = [parameters] if isinstance(parameters, Mapping) else list(parameters)
    names = {column.key for column in table.columns}
    if all(names <= row.keys() for row in rows):
        return [recorder.outbox_row(table, INSERT, row) for row in rows]
    # Some column came from a default: read the rows back as stored.
    keys = [_key_of(table, row) for row in rows]
    return [
        recorder.outbox_row(table, INSERT, row) for row in _rows_by_key(connection, table, keys)
    ]


event.listen(Session, "before_flush", before_flush)
event.listen(Session, "after_flush", after_flush)
event.listen(Session, "do_orm_execute", on_orm_execute)
