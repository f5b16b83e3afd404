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

verify_chain() and iter_events() read in keyset batches (seq > last ORDER BY seq LIMIT n), so
neither holds millions of rows in memory nor a long transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govsignin.audit.chain import GENESIS, event_hash, jsonable, timestamp
from govsignin.audit.models import AuditChainHead, AuditEvent
from govsignin.audit.tags import EventTag
from govsignin.db.base import utcnow

T = AuditEvent.__table__
H = AuditChainHead.__table__

VERIFY_BATCH = 2000
EXPORT_BATCH = 1000
MAX_BATCH = 200  # events appended in one transaction at most

_LOCK_HEAD = select(H.c.seq, H.c.hash).where(H.c.id == 1).with_for_update()  # no-op clause on SQLite

# PostgreSQL, one statement: lock the head row if it is still the head we know (the WHERE is
# re-checked after any wait for the lock), and insert the event only then. Locks are taken in the
# same order as the locked transaction's (head row, then the event), so the two never deadlock.
_KNOWN_HEAD = (
    select(H.c.id).where(H.c.id == 1, H.c.seq == bindparam("head_seq"), H.c.hash == bindparam("head_hash"))
    .with_for_update().cte("known_head")
)
_EVENT_COLUMNS = ("tag", "created_at", "user_id", "client_id", "ip", "user_agent", "details", "seq", "prev_hash", "hash")
_INSERT_ON_HEAD = insert(T).from_select(
    _EVENT_COLUMNS,
    select(*(bindparam(c, type_=T.c[c].type) for c in _EVENT_COLUMNS)).select_from(_KNOWN_HEAD),
)


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
        await self._enqueue(_event(tag, user_id, client_id, request, details))

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
        event = _event(tag, user_id, client_id, request, details)
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
        if self._one_call is not None:
            async with self.engine.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                await self._one_call.run(driver, events, [_sqlite_statement(conn.dialect, *a) for a in alsos])
        elif self._sqlite:
            async with self.engine.connect() as conn:
                # pysqlite would begin DEFERRED at the INSERT, after we read the head: take the
                # write lock first, so the head we read is the head we extend.
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await _append(conn, events)
                for stmt, params in alsos:
                    await conn.execute(stmt, params)
                await conn.commit()
        elif len(events) == 1 and self._head is not None and await self._append_on_known_head(events[0], alsos):
            return
        else:
            self._head = None
            async with self.engine.begin() as conn:
                head = await _append(conn, events)
                for stmt, params in alsos:
                    await conn.execute(stmt, params)
            self._head = head  # committed

    async def _append_on_known_head(self, event: dict[str, Any], alsos=()) -> bool:
        """PostgreSQL, one event, when this process appended the last one it knows of: the INSERT
        alone, committed on its own (one round trip instead of BEGIN, SELECT … FOR UPDATE, INSERT,
        COMMIT). The trigger still refuses an event that does not extend the head, and it moves the
        head in the same statement (row-locked, re-checked after any wait), so nothing can fork.
        False when another process appended meanwhile: the caller takes the locked path."""
        seq, prev = self._head
        row = {**event, "seq": seq + 1, "prev_hash": prev}
        row["hash"] = event_hash(row)
        self._head = None
        if alsos:  # the INSERT and the other statements in one transaction
            async with self.engine.connect() as conn:
                async with conn.begin() as tx:
                    result = await conn.execute(_INSERT_ON_HEAD, {**row, "head_seq": seq, "head_hash": prev})
                    if result.rowcount != 1:
                        await tx.rollback()
                        return False
                    for stmt, params in alsos:
                        await conn.execute(stmt, params)
        else:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                result = await conn.execute(_INSERT_ON_HEAD, {**row, "head_seq": seq, "head_hash": prev})
        if result.rowcount != 1:
            return False  # the head moved (another process appended): nothing was written
        self._head = (row["seq"], row["hash"])
        return True


def _event(tag, user_id, client_id, request, details) -> dict[str, Any]:
    ip = ua = None
    if request is not None:
        ip = request.client.host if request.client else None
        ua = (request.headers.get("user-agent") or "")[:512] or None
    return {
        "tag": str(tag), "created_at": utcnow(), "user_id": user_id, "client_id": client_id,
        "ip": ip, "user_agent": ua, "details": jsonable(details),
    }


def _settle(done: asyncio.Future, exc: BaseException | None) -> None:
    if done.done():
        return
    if exc is None:
        done.set_result(None)
    else:
        done.set_exception(exc)


async def _append(conn: AsyncConnection, events: list[dict[str, Any]]) -> tuple[int, str]:
    head = (await conn.execute(_LOCK_HEAD)).one_or_none()
    if head is None:
        raise ChainHeadMissing()
    seq, prev = head.seq, head.hash
    rows = []
    for event in events:
        seq += 1
        row = {**event, "seq": seq, "prev_hash": prev}
        row["hash"] = prev = event_hash(row)
        rows.append(row)
    await conn.execute(insert(T), rows)  # in order; the trigger checks each row and moves the head
    return seq, prev


class _SQLiteAppend:
    """The same transaction on aiosqlite in one call on its thread: BEGIN IMMEDIATE, read the head,
    chain, INSERT, COMMIT, instead of a thread hop for each statement and each cursor step. Values
    go through the columns' own bind processors, so rows are stored exactly as SQLAlchemy stores them."""

    COLUMNS = ("tag", "created_at", "user_id", "client_id", "ip", "user_agent", "details", "seq", "prev_hash", "hash")

    def __init__(self, dialect):
        self._processors = [T.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.COLUMNS]
        self._insert = (f"INSERT INTO {T.name} ({', '.join(self.COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(self.COLUMNS))})")
        self._head = f"SELECT seq, hash FROM {H.name} WHERE id = 1"

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
                row = {**event, "seq": seq, "prev_hash": prev}
                row["hash"] = prev = event_hash(row)
                rows.append(tuple(p(row[c]) if p else row[c] for c, p in zip(self.COLUMNS, self._processors)))
            db.executemany(self._insert, rows)  # in order; the triggers check each row and move the head
            for sql, values in alsos:
                db.execute(sql, values)
            db.commit()
        except BaseException:
            db.rollback()
            raise


_SQLITE_COMPILED: dict = {}


def _sqlite_statement(dialect, stmt, params: dict) -> tuple[str, tuple]:
    """A Core statement as plain SQL and positional values for sqlite3 (compiled once per
    statement), each value through its bind parameter's own processor."""
    compiled = _SQLITE_COMPILED.get(stmt)
    if compiled is None:
        c = stmt.compile(dialect=dialect)
        binds = {name: bind for bind, name in c.bind_names.items()}
        order = [(name, binds[name].value, binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                 for name in c.positiontup]
        compiled = _SQLITE_COMPILED[stmt] = (str(c), order)
    sql, order = compiled
    return sql, tuple(
        (p(v) if p else v) for p, v in ((p, params.get(name, default)) for name, default, p in order)
    )


# --- reading -----------------------------------------------------------------------------------


def event_document(row) -> dict[str, Any]:
    """One event as exported (and as hashed, plus id and hash)."""
    return {
        "id": row.id, "seq": row.seq, "tag": row.tag, "created_at": timestamp(row.created_at),
        "user_id": row.user_id, "client_id": row.client_id, "ip": row.ip, "user_agent": row.user_agent,
        "details": row.details if row.details is not None else {}, "prev_hash": row.prev_hash, "hash": row.hash,
    }


async def chain_head(engine: AsyncEngine) -> tuple[int, str]:
    async with engine.connect() as conn:
        head = (await conn.execute(select(H.c.seq, H.c.hash).where(H.c.id == 1))).one_or_none()
    if head is None:
        raise ChainHeadMissing()
    return head.seq, head.hash


async def _batches(engine: AsyncEngine, where, batch_size: int) -> AsyncIterator[list]:
    last = 0
    while True:
        async with engine.connect() as conn:  # one short read per batch: no long transaction
            rows = (
                await conn.execute(
                    select(T).where(T.c.seq > last, *where).order_by(T.c.seq).limit(batch_size)
                )
            ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].seq


async def verify_chain(engine: AsyncEngine, batch_size: int = VERIFY_BATCH) -> dict[str, Any]:
    """Walk the chain up to the head as it was when the walk began; stop at the first break.

    Returns {"ok", "events", "head": {"seq", "hash"}, "broken": None | {"id", "seq", "reason",
    "message"}}; reason is one of gap, prev_link, hash_mismatch, truncated, head_mismatch.
    """
    head_seq, head_hash = await chain_head(engine)
    expected_seq, expected_prev, previous_id = 1, GENESIS, None
    checked = 0

    def report(broken=None):
        return {"ok": broken is None, "events": checked, "head": {"seq": head_seq, "hash": head_hash}, "broken": broken}

    def at(row, reason, message):
        return report({"id": row.id, "seq": row.seq, "reason": reason, "message": message})

    async for rows in _batches(engine, [T.c.seq <= head_seq], batch_size):
        for row in rows:
            if row.seq != expected_seq:
                return at(row, "gap", f"the chain jumps from seq {expected_seq - 1} to {row.seq}: "
                                      f"{row.seq - expected_seq} event(s) before it are missing")
            if row.prev_hash != expected_prev:
                before = f"event id {previous_id}" if previous_id is not None else "the genesis value"
                return at(row, "prev_link", f"its prev_hash does not match the hash of {before}: "
                                            "one of the two was altered or replaced")
            document = {c: getattr(row, c) for c in ("seq", "tag", "created_at", "user_id", "client_id",
                                                      "ip", "user_agent", "details", "prev_hash")}
            if event_hash(document) != row.hash:
                return at(row, "hash_mismatch", "its contents no longer match its hash: "
                                                "it was altered after it was recorded")
            expected_prev, previous_id = row.hash, row.id
            expected_seq += 1
            checked += 1
    if checked != head_seq:
        return report({"id": previous_id, "seq": checked, "reason": "truncated",
                       "message": f"the chain ends at seq {checked} but its head says {head_seq}: "
                                  "events at the end were removed"})
    if expected_prev != head_hash:
        return report({"id": previous_id, "seq": checked, "reason": "head_mismatch",
                       "message": "the last event's hash differs from the chain head's"})
    return report()


async def iter_events(
    engine: AsyncEngine,
    *,
    since_seq: int = 0,
    since_time: dt.datetime | None = None,
    batch_size: int = EXPORT_BATCH,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Events after seq `since_seq` (and at or after `since_time`), in chain order, in batches.

    An event becomes visible only after every event before it has committed (appends serialise
    on the head until COMMIT), so a reader that resumes from the last seq it saw misses nothing.
    """
    where = [T.c.seq > since_seq]
    if since_time is not None:
        where.append(T.c.created_at >= since_time)
    async for rows in _batches(engine, where, batch_size):
        yield [event_document(r) for r in rows]
