"""Retention on throwaway databases (SQLite and PostgreSQL): checkpoints, expiry of a whole prefix
up to a checkpoint, verification from that checkpoint, tampering still found after expiry, and the
triggers still refusing every other change (migration 0006)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from unittest.mock import patch

import pytest
from sqlalchemy import bindparam as sa_bind, func, select, text
from sqlalchemy.exc import DBAPIError

from govsignin.audit import append as audit_append
from govsignin.audit import export as audit_export
from govsignin.audit import verify as audit_verify
from govsignin.audit.chain import event_hash
from govsignin.audit.models import AuditCheckpoint, AuditEvent
from govsignin.audit.retention import expire, record_checkpoint
from govsignin.audit.export import iter_events
from govsignin.audit.verify import verify_chain
from govsignin.audit.tags import EventTag
from tests.audit.conftest import run_raw, start_writer
from tests.audit.test_tamper import without_append_only

T = AuditEvent.__table__
C = AuditCheckpoint.__table__

NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=400)


async def record(db, count: int, *, at: dt.datetime | None = None, label: str = "e") -> None:
    """`count` events, recorded as if at `at` (the clock the audit service reads)."""
    with patch.object(audit_append, "utcnow", (lambda: at) if at else audit_append.utcnow):
        for n in range(count):
            await db.audit.record(EventTag.LoginSuccess, user_id=f"{label}-{n}", client_id="svc", ip="10.0.0.1", n=n)


async def seqs(db) -> list[int]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(select(T.c.seq).order_by(T.c.seq))).scalars())


async def standard_trail(db) -> None:
    """Old events 1-4, checkpoint at 4, old 5-6, new 7-9, checkpoint at 9, new 10."""
    await db.migrate()
    await record(db, 4, at=OLD, label="old")
    assert (await record_checkpoint(db.engine))["seq"] == 4
    await record(db, 2, at=OLD + dt.timedelta(days=1), label="old")
    await record(db, 3, label="new")
    assert (await record_checkpoint(db.engine))["seq"] == 9
    await record(db, 1, label="new")


def cli(db, *args: str):
    return run_raw(db.env, "audit", *args)


# --- checkpoints ---------------------------------------------------------------------------------


async def test_checkpoint_records_the_head_once(scratch):
    await scratch.migrate()
    out = cli(scratch, "checkpoint", "--json")
    assert out.returncode == 1 and "empty" in out.stderr and "Traceback" not in out.stderr

    await record(scratch, 5)
    out = cli(scratch, "checkpoint", "--json")
    assert out.returncode == 0, out.stderr
    first = json.loads(out.stdout)
    head_seq, head_hash = await audit_verify.chain_head(scratch.engine)
    assert (first["seq"], first["hash"], first["new"]) == (head_seq, head_hash, True) == (5, head_hash, True)

    again = json.loads(cli(scratch, "checkpoint", "--json").stdout)
    assert again == {**first, "new": False}  # the head was already checkpointed: nothing written
    async with scratch.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(C))).scalar() == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_checkpoints SET hash = 'x'",
        "DELETE FROM audit_checkpoints",
        # a checkpoint must name an existing event by seq and hash, after the newest checkpoint
        "INSERT INTO audit_checkpoints (seq, hash, created_at) SELECT seq, 'forged', created_at FROM audit_events WHERE seq = 5",
        "INSERT INTO audit_checkpoints (seq, hash, created_at) SELECT seq, hash, created_at FROM audit_events WHERE seq = 2",
        "INSERT INTO audit_checkpoints (seq, hash, created_at) SELECT 99, hash, created_at FROM audit_events WHERE seq = 5",
    ],
)
async def test_checkpoints_are_append_only(scratch, statement):
    await scratch.migrate()
    await record(scratch, 3)
    await record_checkpoint(scratch.engine)
    await record(scratch, 2)
    with pytest.raises(DBAPIError):
        await scratch.sql(statement)


# --- expiry ----------------------------------------------------------------------------------------


async def test_expire_deletes_the_prefix_up_to_the_newest_checkpoint_holding_only_old_events(scratch):
    await standard_trail(scratch)

    out = cli(scratch, "expire", "--older-than", "365", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["deleted"] == 4 and report["through"]["seq"] == 4
    # 5 and 6 are old too, but the next checkpoint (9) also covers new events: they stay for now
    assert await seqs(scratch) == list(range(5, 12))  # 11: the audit:events:expired event
    assert report["oldest_remaining"]["seq"] == 5

    events = [e async for batch in iter_events(scratch.engine) for e in batch]
    assert events[-1]["tag"] == "audit:events:expired"
    assert events[-1]["details"]["through_seq"] == 4 and events[-1]["details"]["deleted"] == 4

    out = cli(scratch, "verify", "--json")
    assert out.returncode == 0, out.stderr
    verified = json.loads(out.stdout)
    assert verified["ok"] and verified["events"] == 7 and verified["from_checkpoint"]["seq"] == 4
    assert "from the checkpoint at seq 4" in cli(scratch, "verify").stdout

    again = cli(scratch, "expire", "--older-than", "365", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["deleted"] == 0
    assert "next checkpoint (seq 9)" in json.loads(again.stdout)["message"]
    assert await seqs(scratch) == list(range(5, 12))


async def test_expire_takes_everything_when_the_newest_checkpoint_covers_only_old_events(scratch):
    await scratch.migrate()
    await record(scratch, 6, at=OLD)
    await record_checkpoint(scratch.engine)
    report = await expire(scratch.engine, older_than_days=30)
    assert report["deleted"] == 6
    assert await seqs(scratch) == [7]  # only the expiry's own event
    assert (await verify_chain(scratch.engine))["ok"]
    await record(scratch, 3)  # appends go on from the head
    report = await verify_chain(scratch.engine, batch_size=2)
    assert report["ok"] and report["events"] == 4 and report["from_checkpoint"]["seq"] == 6


async def test_expire_refuses_when_no_checkpoint_covers_the_old_events(scratch):
    await scratch.migrate()
    await record(scratch, 5, at=OLD)
    await record(scratch, 2)

    out = cli(scratch, "expire", "--older-than", "365")
    assert out.returncode == 1 and "no checkpoint covers them" in out.stderr and "Traceback" not in out.stderr
    assert await seqs(scratch) == list(range(1, 8))

    await record_checkpoint(scratch.engine)  # at seq 7: it covers new events too
    report = await expire(scratch.engine, older_than_days=365)
    assert report["deleted"] == 0 and report["through"] is None
    assert await seqs(scratch) == list(range(1, 8))


async def test_expire_with_nothing_old_deletes_nothing(scratch):
    await scratch.migrate()
    out = cli(scratch, "expire", "--older-than", "1", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["deleted"] == 0  # an empty trail
    await record(scratch, 3)
    await record_checkpoint(scratch.engine)
    out = cli(scratch, "expire", "--older-than", "1")
    assert out.returncode == 0 and "no event is older than 1 day" in out.stdout
    assert await seqs(scratch) == [1, 2, 3]


@pytest.mark.parametrize("args", [[], ["--older-than", "0"], ["--older-than", "-3"], ["--older-than", "ten"],
                                  ["--older-than", "1.5"], ["--older-than", "99999999999"]])
async def test_bad_expire_input_is_a_sentence_and_exit_2(scratch, args):
    await scratch.migrate()
    out = cli(scratch, "expire", *args)
    assert out.returncode == 2 and out.stderr.startswith("Error: --older-than") and "Traceback" not in out.stderr


# --- the triggers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM audit_events",  # reaches events above the checkpoint: the whole statement fails
        "DELETE FROM audit_events WHERE seq = 7",
        "DELETE FROM audit_events WHERE seq >= 4",
        "UPDATE audit_events SET details = '{}' WHERE seq = 2",  # below the checkpoint: still no UPDATE
        "UPDATE audit_chain_head SET seq = 4",
    ],
)
async def test_the_triggers_refuse_everything_but_deletes_up_to_the_newest_checkpoint(scratch, statement):
    await scratch.migrate()
    await record(scratch, 5, at=OLD)
    await record_checkpoint(scratch.engine)
    await record(scratch, 3)
    with pytest.raises(DBAPIError, match="append-only|moves only"):
        await scratch.sql(statement)
    assert await seqs(scratch) == list(range(1, 9))
    assert (await verify_chain(scratch.engine))["ok"]


async def test_truncate_is_still_refused_on_postgresql(scratch):
    if not scratch.postgres:
        pytest.skip("SQLite has no TRUNCATE")
    await scratch.migrate()
    await record(scratch, 2)
    await record_checkpoint(scratch.engine)
    for table in ("audit_events", "audit_checkpoints"):
        with pytest.raises(DBAPIError, match="append-only"):
            await scratch.sql(f"TRUNCATE {table}")


# --- tampering after expiry ----------------------------------------------------------------------


async def expired_trail(db) -> None:
    await standard_trail(db)
    assert (await expire(db.engine, older_than_days=365))["deleted"] == 4  # remaining: 5..11


async def test_an_altered_event_after_expiry_is_named(scratch):
    await expired_trail(scratch)
    await without_append_only(scratch, "UPDATE audit_events SET ip = '192.0.2.1' WHERE seq = 8")
    report = await verify_chain(scratch.engine, batch_size=2)
    assert report["broken"]["seq"] == 8 and report["broken"]["reason"] == "hash_mismatch"
    out = cli(scratch, "verify")
    assert out.returncode == 3 and "seq 8" in out.stderr


async def test_a_delete_the_trigger_allows_but_that_is_not_a_whole_prefix_is_a_gap(scratch):
    await expired_trail(scratch)
    await scratch.sql("DELETE FROM audit_events WHERE seq = 5")  # <= the newest checkpoint (9): allowed
    report = await verify_chain(scratch.engine)
    assert report["broken"]["reason"] == "gap" and report["broken"]["seq"] == 6
    assert "from seq 4 to 6" in report["broken"]["message"]
    assert cli(scratch, "verify").returncode == 3


async def test_a_replaced_first_event_after_expiry_breaks_the_link_to_the_checkpoint(scratch):
    await expired_trail(scratch)
    async with scratch.engine.connect() as conn:
        row = (await conn.execute(select(T).where(T.c.seq == 5))).one()
    forged = {**row._mapping, "prev_hash": "f" * 64}
    await without_append_only(
        scratch, f"UPDATE audit_events SET prev_hash = '{'f' * 64}', hash = '{event_hash(forged)}' WHERE seq = 5"
    )
    report = await verify_chain(scratch.engine)
    assert report["broken"]["seq"] == 5 and report["broken"]["reason"] == "prev_link"
    assert "checkpoint at seq 4" in report["broken"]["message"]


async def test_a_chain_rewritten_through_a_checkpoint_is_caught_by_it(scratch):
    """A database owner rewrites event 9 onwards, hashes and head included: the checkpoint at 9
    still holds the hash that was recorded."""
    await expired_trail(scratch)
    async with scratch.engine.connect() as conn:
        rows = (await conn.execute(select(T).where(T.c.seq >= 9).order_by(T.c.seq))).all()
    prev, updates = None, []
    for row in rows:
        doc = {**row._mapping}
        if prev is not None:
            doc["prev_hash"] = prev
        if row.seq == 9:
            doc["client_id"] = "another-service"
        prev = event_hash(doc)
        updates.append(f"UPDATE audit_events SET client_id = '{doc['client_id']}', prev_hash = '{doc['prev_hash']}', "
                       f"hash = '{prev}' WHERE seq = {row.seq}")
    if scratch.postgres:
        updates = ["ALTER TABLE audit_chain_head DISABLE TRIGGER audit_chain_head_guard", *updates,
                   f"UPDATE audit_chain_head SET hash = '{prev}'",
                   "ALTER TABLE audit_chain_head ENABLE TRIGGER audit_chain_head_guard"]
    else:
        updates = ["DROP TRIGGER audit_chain_head_forward_only", *updates, f"UPDATE audit_chain_head SET hash = '{prev}'"]
    await without_append_only(scratch, *updates)
    report = await verify_chain(scratch.engine)
    assert report["broken"]["seq"] == 9 and report["broken"]["reason"] == "checkpoint_mismatch"


# --- concurrency ---------------------------------------------------------------------------------


PER_WRITER = 150


async def test_expire_while_other_processes_append(scratch):
    await scratch.migrate()
    await record(scratch, 40, at=OLD)
    await record_checkpoint(scratch.engine)
    run = uuid.uuid4().hex
    writers = [await start_writer(scratch.url, PER_WRITER, run, f"proc{i}") for i in range(2)]
    try:
        while (await audit_verify.chain_head(scratch.engine))[0] < 45:  # they are appending
            await asyncio.sleep(0.01)
        report = await expire(scratch.engine, older_than_days=365)
        await record(scratch, 10, label="in-process")
    finally:
        for w in writers:
            assert await w.wait() == 0, (await w.stderr.read()).decode()
    assert report["deleted"] == 40
    remaining = await seqs(scratch)
    assert remaining == list(range(41, 41 + PER_WRITER * 2 + 10 + 1))
    verified = await verify_chain(scratch.engine, batch_size=7)
    assert verified["ok"], verified
    assert verified["events"] == PER_WRITER * 2 + 11 and verified["from_checkpoint"]["seq"] == 40


async def test_verify_follows_an_expiry_that_runs_while_it_walks(scratch):
    await scratch.migrate()
    await record(scratch, 6, at=OLD)
    await record_checkpoint(scratch.engine)
    await record(scratch, 4)
    batches = audit_export.event_batches

    async def expire_after_the_first_batch(engine, where, batch_size):
        first = True
        async for rows in batches(engine, where, batch_size):
            yield rows
            if first:
                first = False
                assert (await expire(engine, older_than_days=365))["deleted"] == 6

    with patch.object(audit_export, "event_batches", expire_after_the_first_batch):
        report = await verify_chain(scratch.engine, batch_size=3)
    assert report["ok"], report
    assert (await verify_chain(scratch.engine))["from_checkpoint"]["seq"] == 6


# --- upgrading -------------------------------------------------------------------------------------


async def legacy_events(db, count: int, at: dt.datetime) -> None:
    """Events as code before migration 0007 wrote them (personal fields in the row, format 1)."""
    from govsignin.audit.chain import jsonable

    async with db.engine.begin() as conn:
        seq, prev = (await conn.execute(text("SELECT seq, hash FROM audit_chain_head WHERE id = 1"))).one()
        for n in range(count):
            seq += 1
            row = {"seq": seq, "tag": "account:login:success", "created_at": at, "user_id": f"legacy-{n}",
                   "client_id": "svc", "ip": f"10.0.0.{n}", "user_agent": "Firefox é", "details": jsonable({"n": n}),
                   "prev_hash": prev}
            row["hash"] = prev = event_hash(row)
            await conn.execute(
                text("INSERT INTO audit_events (seq, tag, created_at, user_id, client_id, ip, user_agent, details, prev_hash, hash)"
                     " VALUES (:seq, :tag, :created_at, :user_id, :client_id, :ip, :user_agent, :details, :prev_hash, :hash)")
                .bindparams(sa_bind("created_at", type_=T.c.created_at.type), sa_bind("details", type_=T.c.details.type)),
                row,
            )


async def test_upgrade_from_0005_keeps_the_chain_and_adds_checkpoints(scratch):
    await scratch.migrate("0005")
    await legacy_events(scratch, 5, OLD)
    await scratch.migrate("head")
    assert (await verify_chain(scratch.engine))["ok"]
    await record_checkpoint(scratch.engine)
    await record(scratch, 2)  # format 2, after the legacy ones
    report = await verify_chain(scratch.engine)
    assert report["ok"] and report["events"] == 7, report
    assert (await expire(scratch.engine, older_than_days=365))["deleted"] == 5
    assert (await verify_chain(scratch.engine))["ok"]



async def test_concurrent_checkpoints_record_one(scratch):
    await scratch.migrate()
    await record(scratch, 3)
    results = await asyncio.gather(*(asyncio.to_thread(cli, scratch, "checkpoint", "--json") for _ in range(3)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    reports = [json.loads(r.stdout) for r in results]
    assert {r["seq"] for r in reports} == {3} and sum(r["new"] for r in reports) == 1
