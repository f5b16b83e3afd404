"""`govsignin accounts import`: legacy accounts into govsignin, in batches, one transaction each.

- Streams: rows are read one at a time (migration/rows.py) and only one batch is held.
- A batch is one transaction: its accounts, passwords, authenticator apps and legacy records are
  written together or not at all, so an import killed midway leaves whole batches only.
- Idempotent and resumable: a row whose `import_key` is already in `legacy_accounts` is skipped
  and counted, so re-running the same file after a kill finishes it.
- PostgreSQL: each table's rows go in with one COPY (asyncpg `copy_records_to_table`) inside the
  batch's transaction. SQLite: one executemany per table.
- Email collisions never merge two people: the first row for an address gets the account, except
  that a row whose email the old system verified takes the address from an account made earlier
  by this import from an unverified row nobody has signed in to yet
  (migration/collisions.py). Every other row for that address is kept unlinked and reported.
- `dry_run`: the whole file in one transaction, rolled back at the end: the same counts and
  rejects as the real run would give, and nothing written.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

import orjson
from sqlalchemy import String, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from govsignin.accounts.models import MfaMethod, PasswordCredential, User
from govsignin.db.base import utcnow
from govsignin.migration.collisions import take_over_unverified
from govsignin.migration.models import LINKED, UNLINKED, LegacyAccount
from govsignin.migration.parallel import checked_rows
from govsignin.migration.rows import Rejected, Row

DEFAULT_BATCH_SIZE = 2000
USER_COLUMNS = ("id", "internal_subject_id", "email", "email_verified", "phone_number", "phone_number_verified", "created_at")
PASSWORD_COLUMNS = ("user_id", "hash", "updated_at")
MFA_COLUMNS = ("user_id", "kind", "priority", "secret_encrypted", "created_at")
LEGACY_COLUMNS = ("import_key", "legacy_system", "legacy_id", "email", "user_id", "state", "reason",
                  "email_verified", "had_password", "row_number", "imported_at")
TABLES = (
    (User.__table__, USER_COLUMNS),
    (PasswordCredential.__table__, PASSWORD_COLUMNS),
    (MfaMethod.__table__, MFA_COLUMNS),
    (LegacyAccount.__table__, LEGACY_COLUMNS),
)


@dataclass
class Summary:
    imported: int = 0  # accounts created (linked rows)
    skipped: int = 0  # already imported by an earlier run
    rejected: int = 0  # bad rows, not imported (rejects file)
    unlinked: int = 0  # kept without an account: the email already had one (rejects file too)
    batches: int = 0
    dry_run: bool = False
    reasons: dict[str, int] = field(default_factory=dict)  # rejected and unlinked, by reason's kind

    def as_dict(self) -> dict:
        return {"imported": self.imported, "skipped": self.skipped, "rejected": self.rejected,
                "unlinked": self.unlinked, "batches": self.batches, "dry_run": self.dry_run,
                "reasons": dict(sorted(self.reasons.items()))}


class Rejects:
    """The rejects file: one JSON object a line (row, reason, and the row's email and legacy id
    where they could be read; never its password hash or TOTP secret)."""

    def __init__(self, out):
        self.out = out

    def write(self, summary: Summary, item: Rejected) -> None:
        kind = item.reason.split(":", 1)[0]
        summary.reasons[kind] = summary.reasons.get(kind, 0) + 1
        if self.out is not None:
            record = {"row": item.number, "reason": item.reason, "email": item.email,
                      "legacy_system": item.legacy_system, "legacy_id": item.legacy_id}
            self.out.write(orjson.dumps(record) + b"\n")


async def run_import(
    services, stream: BinaryIO, fmt: str, *, dry_run: bool = False, rejects_out=None,
    batch_size: int = DEFAULT_BATCH_SIZE, progress: Callable[[], None] | None = None, workers: int = 0,
) -> Summary:
    """`workers`: processes that check rows while this one writes (migration/parallel.py)."""
    summary = Summary(dry_run=dry_run)
    rejects = Rejects(rejects_out)
    engine = services.engine
    writer = BatchWriter(services, engine.dialect.name == "postgresql")

    async def batches(conn_for_batch):
        batch: list[Row] = []
        full: list[Row] | None = None  # held until the next row shows it is not the last batch
        async for item in checked_rows(stream, fmt, workers):
            if isinstance(item, Rejected):
                summary.rejected += 1
                rejects.write(summary, item)
                continue
            if full is not None:
                await conn_for_batch(full, False)
                full = None
                if progress:
                    progress()
            batch.append(item)
            if len(batch) >= batch_size:
                full, batch = batch, []
        if full is not None:
            await conn_for_batch(full, not batch)
        if batch:
            await conn_for_batch(batch, True)
        if progress:
            progress()

    if dry_run:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            try:
                await batches(lambda batch, last: writer.write(conn, batch, summary, rejects))
            finally:
                await transaction.rollback()
        return summary

    async def committed(batch, last: bool):
        async with engine.begin() as conn:
            if writer.postgres and not last:
                # Not waiting for each batch's WAL flush: a server crash mid-import fails the
                # command, and its re-run (idempotent) re-imports any batch lost. The last batch
                # commits durably, which flushes every earlier one with it.
                await conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            await writer.write(conn, batch, summary, rejects)

    await batches(committed)
    return summary


class BatchWriter:
    def __init__(self, services, postgres: bool):
        self.box = services.accounts.box
        self.postgres = postgres

    async def write(self, conn, batch: list[Row], summary: Summary, rejects: Rejects) -> None:
        now = utcnow()
        fresh: list[Row] = []
        seen_keys: dict[str, int] = {}
        for row in batch:
            first = seen_keys.setdefault(row.import_key, row.number)
            if first != row.number:
                summary.rejected += 1
                rejects.write(summary, _rejected(row, f"duplicate legacy id within the file: row {first} has it"))
            else:
                fresh.append(row)
        done = await _existing(conn, LegacyAccount.import_key, [r.import_key for r in fresh])
        before = len(fresh)
        fresh = [r for r in fresh if r.import_key not in done]
        summary.skipped += before - len(fresh)
        taken = await _existing(conn, User.email, list({r.email for r in fresh}))

        rows: dict[str, list[tuple]] = {"users": [], "password_credentials": [], "mfa_methods": [], "legacy_accounts": []}
        claimed: dict[str, Row] = {}
        identities = _new_identities(len(fresh))
        # Rows the old system verified claim their address first, then the rest, each in file order.
        for row in sorted(fresh, key=lambda r: (not r.email_verified, r.number)):
            holder = claimed.get(row.email)
            if row.email in taken or holder is not None:
                if holder is None and row.email_verified:
                    took = await take_over_unverified(conn, row, self.box, now)
                    if took is not None:  # an unverified row's account, never used: now this row's
                        user_id, loser = took
                        rows["legacy_accounts"].append(_legacy(row, user_id, LINKED, None, now))
                        summary.imported += 1
                        summary.unlinked += 1
                        rejects.write(summary, loser)
                        continue
                reason = (f"duplicate email within the file: row {holder.number} has the account"
                          if holder is not None else "email already has an account: left unlinked")
                rows["legacy_accounts"].append(_legacy(row, None, UNLINKED, reason, now))
                summary.unlinked += 1
                rejects.write(summary, _rejected(row, reason))
                continue
            claimed[row.email] = row
            user_id, subject = next(identities)
            rows["users"].append((user_id, subject, row.email, row.email_verified,
                                  row.phone, False, row.created_at or now))
            if row.password_hash is not None:
                rows["password_credentials"].append((user_id, row.password_hash, now))
            if row.totp_secret is not None:
                rows["mfa_methods"].append((user_id, "auth_app", "default", self.box.encrypt(row.totp_secret), now))
            rows["legacy_accounts"].append(_legacy(row, user_id, LINKED, None, now))
            summary.imported += 1
        for table, columns in TABLES:
            await self._insert(conn, table, columns, rows[table.name])
        summary.batches += 1

    async def _insert(self, conn, table, columns: tuple[str, ...], records: list[tuple]) -> None:
        if not records:
            return
        if self.postgres:
            raw = await conn.get_raw_connection()  # the batch's own connection, inside its transaction
            await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=columns)
        else:
            await conn.execute(insert(table), [dict(zip(columns, r)) for r in records])


def _new_identities(count: int):
    """(account id, internal subject) for `count` new accounts: a random UUID and 256 random bits
    in base64url (as secrets.token_urlsafe(32)), from one read of the OS's generator per batch
    rather than two a row."""
    pool = os.urandom(48 * count)
    for n in range(count):
        chunk = pool[48 * n: 48 * n + 48]
        yield (str(uuid.UUID(bytes=chunk[:16], version=4)),
               base64.urlsafe_b64encode(chunk[16:]).rstrip(b"=").decode())


def _legacy(row: Row, user_id: str | None, state: str, reason: str | None, now: dt.datetime) -> tuple:
    return (row.import_key, row.legacy_system, row.legacy_id, row.email, user_id, state, reason,
            row.email_verified, row.password_hash is not None, row.number, now)


def _rejected(row: Row, reason: str) -> Rejected:
    return Rejected(row.number, reason, row.email, row.legacy_system, row.legacy_id)


async def _existing(conn, column, values: list[str]) -> set[str]:
    """Which of `values` the column already holds. PostgreSQL: one array parameter (`= ANY`), not
    thousands of bound values to compile and send."""
    if not values:
        return set()
    if conn.dialect.name == "postgresql":
        condition = column == any_(bindparam("values", type_=ARRAY(String)))
        result = await conn.execute(select(column).where(condition), {"values": values})
    else:
        result = await conn.execute(select(column).where(column.in_(values)))
    return {r[0] for r in result}
