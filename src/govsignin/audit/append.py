"""Audit.record(): every security-relevant action lands here, append-only and hash-chained.

Appending is one short transaction that serialises on the chain head:

    PostgreSQL: BEGIN; SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE;
                INSERT INTO audit_events (...); COMMIT
    SQLite:     BEGIN IMMEDIATE (the database's write lock); the same SELECT and INSERT; COMMIT

The row lock (or SQLite's single writer) is held from reading the head to COMMIT, so two appenders,
in one process or in many processes sharing the database, never read the same head. The database
checks it too: a trigger refuses an event that does not extend the head (seq = head seq + 1,
prev_hash = head hash) and moves the head in the same statement, so even a writer that skipped the
lock cannot fork the chain; it fails instead.

On aiosqlite the transaction runs as one call on the driver's thread (_SQLiteAppend). On PostgreSQL,
a lone event appended by the process that wrote the head it knows is one autocommitted statement that
locks the head row only if it is still that head and inserts only then (_INSERT_ON_HEAD); otherwise
the locked transaction above.

Within a process, concurrent record() calls queue on an asyncio lock and the holder appends all
queued events in its one transaction (group commit), so the cluster-wide lock is taken once per
batch, not once per event (docs/audit.md, "Cost").

An event's user_id, ip and user_agent are written to audit_personal in the same transaction (on
the one-statement PostgreSQL path, by the same statement: _INSERT_ON_HEAD_WITH_PERSONAL), and the
event row hashes only their HMAC (chain.py, format 2), so deleting those rows erases a person
from the trail without breaking it.

Reading the chain back is in verify.py (verify_chain) and export.py (iter_events).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govsignin.audit.chain import event_hash, jsonable, new_salt, personal_digest
from govsignin.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditPersonal
from govsignin.audit.tags import EventTag
from govsignin.db.base import utcnow
from govsignin.db.hot import SQLiteBusy, arguments, compiled, hot

T = AuditEvent.__table__
H = AuditChainHead.__table__
C = AuditCheckpoint.__table__
P = AuditPersonal.__table__

MAX_BATCH = 200  # events appended in one transaction at most

_LOCK_HEAD = select(H.c.seq, H.c.hash).where(H.c.id == 1).with_for_update()  # no-op clause on SQLite

# PostgreSQL, one statement: lock the head row if it is still the head we know (the WHERE is
# re-checked after any wait for the lock), and insert the event only then. Locks are taken in the
# same order as the locked transaction's (head row, then the event), so the two never deadlock.
_KNOWN_HEAD = (
    select(H.c.id).where(H.c.id == 1, H.c.seq == bindparam("head_seq"), H.c.hash == bindparam("head_hash"))
    .with_for_update().cte("known_head")
)
_EVENT_COLUMNS = ("tag", "created_at", "user_id", "client_id", "ip", "user_agent", "details", "seq", "prev_hash", "hash",
                  "personal")
_INSERT_ON_HEAD = insert(T).from_select(
    _EVENT_COLUMNS,
    select(*(bindparam(c, type_=T.c[c].type) for c in _EVENT_COLUMNS)).select_from(_KNOWN_HEAD),
)
# The same, for an event with personal data: its audit_personal row is inserted by the same
# statement, only if the event was (still one round trip; the rowcount is the side row's).
_PERSONAL_COLUMNS = ("digest", "user_id", "ip", "user_agent", "salt")
_INSERTED = _INSERT_ON_HEAD.returning(T.c.personal).cte("inserted")
_INSERT_ON_HEAD_WITH_PERSONAL = insert(P).from_select(
    _PERSONAL_COLUMNS,
    select(_INSERTED.c.personal, *(bindparam(f"p_{c}", type_=P.c[c].type) for c in _PERSONAL_COLUMNS[1:]))
    .select_from(_INSERTED),
)


class _HeadMoved(Exception):
    """Another process appended since this one last did: roll back, take the locked path."""


def _rowcount(status: str) -> int:
    """asyncpg's command status ("INSERT 0 1") as a row count."""
    return int(status.rsplit(" ", 1)[-1])


class ChainHeadMissing(RuntimeError):
    def __init__(self):
        super().__init__("The audit chain head is missing: run `govsignin db upgrade`.")


class Audit:
    """record() appends one event and returns once it is committed.

    Inside one process, appends queue on an asyncio lock rather than on the database (so waiting
    sign-ins do not each hold a pooled connection, nor poll SQLite's busy handler), and whoever
    holds the lock appends everything queued behind it in the same transaction: under load one
    lock round trip and one COMMIT serve many events (group commit). A batch that fails is retried
    one event per transaction, so one bad event cannot fail its neighbours' record().
    """

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._one_call = _SQLiteAppend(engine.dialect) if engine.dialect.driver == "aiosqlite" else None
        self._head: tuple[int, str] | None = None  # PostgreSQL: the head after our last append
        self._lock = asyncio.Lock()
        self._queue: list[tuple[dict[str, Any], asyncio.Future]] = []

    async def record(
        self,
        tag: EventTag,
        *,
        user_id: str | None = None,
        client_id: str | None = None,
        request=None,
        **details,
    ) -> None:
        await self._enqueue(new_event(tag, user_id, client_id, request, details))

    async def record_with(
        self,
        also: tuple,
        tag: EventTag,
        *,
        user_id: str | None = None,
        client_id: str | None = None,
        request=None,
        **details,
    ) -> None:
        """record(), and `also` — (Core statement, params) — executed in the same transaction and
        committed with the event (the service-use upsert at sign-in): one transaction, not two."""
        event = new_event(tag, user_id, client_id, request, details)
        event["_also"] = also  # not a column: taken out before the row is written
        await self._enqueue(event)

    async def _enqueue(self, event: dict[str, Any]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._queue.append((event, done))
        async with self._lock:
            if not done.done():  # nobody took it along: append it and whatever queued behind it
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                appending = asyncio.ensure_future(self._append_batch(batch))
                try:
                    await asyncio.shield(appending)
                except asyncio.CancelledError:  # our caller gave up; the batch is not only ours
                    await asyncio.shield(appending)
                    raise
        await done

    async def _append_batch(self, batch: list[tuple[dict[str, Any], asyncio.Future]]) -> None:
        try:
            await self._transaction([event for event, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            for event, done in batch:  # find the culprit; the others still land
                try:
                    await self._transaction([event])
                except Exception as one:  # noqa: BLE001 - handed to that event's caller
                    _settle(done, one)
                else:
                    _settle(done, None)
        else:
            for _, done in batch:
                _settle(done, None)

    async def _transaction(self, events: list[dict[str, Any]]) -> None:
        alsos = [event["_also"] for event in events if "_also" in event]
        if alsos:
            events = [{k: v for k, v in event.items() if k != "_also"} for event in events]
        if self._one_call is not None:  # SQLite: the whole transaction in one call (db/hot.py)
            statements = [_sqlite_statement(self.engine.dialect, *a) for a in alsos]
            h = hot(self.engine)
            try:
                h.sqlite_run(self._one_call._append, events, statements)  # on the loop, if the lock is free
            except SQLiteBusy:  # another writer holds it: wait for it on aiosqlite's thread
                await self._one_call.run(await h.sqlite_driver("audit"), events, statements)
        elif self._sqlite:
            async with self.engine.connect() as conn:
                # pysqlite would begin DEFERRED at the INSERT, after we read the head: take the
                # write lock first, so the head we read is the head we extend.
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await append_events(conn, events)
                for stmt, params in alsos:
                    await conn.execute(stmt, params)
                await conn.commit()
        elif len(events) == 1 and self._head is not None and await self._append_on_known_head(events[0], alsos):
            return
        else:
            self._head = None
            async with self.engine.begin() as conn:
                head = await append_events(conn, events)
                if alsos:  # a batch's alsos: one executemany a statement, same transaction
                    driver = (await conn.get_raw_connection()).driver_connection
                    for stmt, rows in _grouped(alsos):
                        sql, order, _ = compiled(self.engine.dialect, stmt)
                        await driver.executemany(sql, [arguments(order, params) for params in rows])
            self._head = head  # committed

    async def _append_on_known_head(self, event: dict[str, Any], alsos=()) -> bool:
        """PostgreSQL, one event, when this process appended the last one it knows of: the INSERT
        alone, committed on its own (one round trip instead of BEGIN, SELECT … FOR UPDATE, INSERT,
        COMMIT). The trigger still refuses an event that does not extend the head, and it moves the
        head in the same statement (row-locked, re-checked after any wait), so nothing can fork.
        False when another process appended meanwhile: the caller takes the locked path."""
        seq, prev = self._head
        row = _chained(event, seq + 1, prev)
        params = {**row, "head_seq": seq, "head_hash": prev}
        statement = _INSERT_ON_HEAD
        if "_side" in event:
            statement = _INSERT_ON_HEAD_WITH_PERSONAL
            params.update({f"p_{c}": event["_side"][c] for c in _PERSONAL_COLUMNS[1:]})
        self._head = None
        sql, order, _ = compiled(self.engine.dialect, statement)
        try:
            inserted = await self._insert_on_head(sql, order, params, alsos)
        except _HeadMoved:
            return False
        if inserted != 1:
            return False  # the head moved (another process appended): nothing was written
        self._head = (row["seq"], row["hash"])
        return True

    async def _insert_on_head(self, sql: str, order, params: dict, alsos) -> int:
        async def insert(conn) -> int:  # on a kept asyncpg connection (db/hot.py)
            if alsos:  # the INSERT and the other statements in one transaction
                async with conn.transaction():
                    inserted = _rowcount(await conn.execute(sql, *arguments(order, params)))
                    if inserted != 1:
                        raise _HeadMoved()  # rolls the transaction back
                    for stmt, also_params in alsos:
                        also_sql, also_order, _ = compiled(self.engine.dialect, stmt)
                        await conn.execute(also_sql, *arguments(also_order, also_params))
                return inserted
            return _rowcount(await conn.execute(sql, *arguments(order, params)))  # autocommit: its own transaction

        return await hot(self.engine).pg_run(insert)


def _grouped(alsos) -> list[tuple[Any, list[dict]]]:
    """(statement, [params, …]) in the order each statement first appears. Under load a batch
    carries one service-use upsert per sign-in in it: one executemany (asyncpg runs each set of
    values as its own execution, in order, so two upserts of one row do not meet in one INSERT),
    not one round trip through SQLAlchemy each (~340 µs of CPU, db/hot.py)."""
    groups: dict[int, tuple[Any, list[dict]]] = {}
    for stmt, params in alsos:
        groups.setdefault(id(stmt), (stmt, []))[1].append(params)
    return list(groups.values())


def new_event(tag, user_id, client_id, request, details) -> dict[str, Any]:
    """The event as it will be stored: user_id, ip and user_agent go to its audit_personal row
    ("_side"), and the hashed row keeps only their HMAC under a fresh salt (chain.py, format 2)."""
    ip = ua = None
    if request is not None:
        ip = request.client.host if request.client else None
        ua = (request.headers.get("user-agent") or "")[:512] or None
    event = {
        "tag": str(tag), "created_at": utcnow(), "user_id": None, "client_id": client_id,
        "ip": None, "user_agent": None, "details": jsonable(details), "personal": None,
    }
    if user_id is not None or ip is not None or ua is not None:
        values = {"user_id": user_id, "ip": ip, "user_agent": ua}
        salt = new_salt()
        event["personal"] = digest = personal_digest(salt, values)
        event["_side"] = {"digest": digest, **values, "salt": salt}
    return event


def _chained(event: dict[str, Any], seq: int, prev: str) -> dict[str, Any]:
    """The row to insert: the event (without its side row) at `seq` after `prev`, with its hash."""
    row = {k: v for k, v in event.items() if k != "_side"}
    row["seq"], row["prev_hash"] = seq, prev
    row["hash"] = event_hash(row)
    return row


def _settle(done: asyncio.Future, exc: BaseException | None) -> None:
    if done.done():
        return
    if exc is None:
        done.set_result(None)
    else:
        done.set_exception(exc)


async def append_events(conn: AsyncConnection, events: list[dict[str, Any]]) -> tuple[int, str]:
    head = (await conn.execute(_LOCK_HEAD)).one_or_none()
    if head is None:
        raise ChainHeadMissing()
    seq, prev = head.seq, head.hash
    rows = []
    for event in events:
        seq += 1
        row = _chained(event, seq, prev)
        prev = row["hash"]
        rows.append(row)
    await conn.execute(insert(T), rows)  # in order; the trigger checks each row and moves the head
    sides = [event["_side"] for event in events if "_side" in event]
    if sides:
        await conn.execute(insert(P), sides)
    return seq, prev


class _SQLiteAppend:
    """The same transaction on aiosqlite in one call on its thread: BEGIN IMMEDIATE, read the head,
    chain, INSERT, COMMIT, instead of a thread hop for each statement and each cursor step. Values
    go through the columns' own bind processors, so rows are stored exactly as SQLAlchemy stores them."""

    COLUMNS = _EVENT_COLUMNS

    def __init__(self, dialect):
        self._processors = [T.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.COLUMNS]
        self._insert = (f"INSERT INTO {T.name} ({', '.join(self.COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(self.COLUMNS))})")
        self._head = f"SELECT seq, hash FROM {H.name} WHERE id = 1"
        self._insert_personal = (f"INSERT INTO {P.name} ({', '.join(_PERSONAL_COLUMNS)}) "
                                 f"VALUES ({', '.join('?' * len(_PERSONAL_COLUMNS))})")

    async def run(self, driver, events: list[dict[str, Any]], alsos=()) -> None:
        await driver._execute(self._append, driver._conn, events, alsos)  # aiosqlite: run on its thread

    def _append(self, db, events: list[dict[str, Any]], alsos=()) -> None:
        db.execute("BEGIN IMMEDIATE")  # the write lock before reading the head, as before
        try:
            head = db.execute(self._head).fetchone()
            if head is None:
                raise ChainHeadMissing()
            seq, prev = head
            rows = []
            for event in events:
                seq += 1
                row = _chained(event, seq, prev)
                prev = row["hash"]
                rows.append(tuple(p(row[c]) if p else row[c] for c, p in zip(self.COLUMNS, self._processors)))
            db.executemany(self._insert, rows)  # in order; the triggers check each row and move the head
            sides = [tuple(e["_side"][c] for c in _PERSONAL_COLUMNS) for e in events if "_side" in e]
            if sides:
                db.executemany(self._insert_personal, sides)
            for sql, values in alsos:
                db.execute(sql, values)
            db.commit()
        except BaseException:
            db.rollback()
            raise


def _sqlite_statement(dialect, stmt, params: dict) -> tuple[str, tuple]:
    """A Core statement as plain SQL and positional values for sqlite3 (db/hot.py compiles it
    once), each value through its bind parameter's own processor."""
    sql, order, _ = compiled(dialect, stmt)
    return sql, arguments(order, params)
