"""Reading a legacy account file one row at a time, and checking each row on its own.

JSON Lines (one object a line) or CSV with the same column names, UTF-8 (contracts.md "Legacy
account import format", docs/migration.md). `read_rows` yields a `Row` or a `Rejected` for every
record, in file order and in constant memory: nothing is kept between rows. Row numbers are the
line in a JSON Lines file, and the record's number in a CSV file counting the header as row 1 (a
spreadsheet's row number).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import BinaryIO, Iterator

import orjson

from govsignin.accounts import legacy_hashes
from govsignin.accounts.admin import EMAIL, AccountInputError, check_totp_secret, e164

FIELDS = ("email", "email_verified", "phone", "password_hash", "totp_secret", "legacy_system", "legacy_id", "created_at")
SYSTEM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TRUE_TEXT = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "": False}
MAX_LINE_BYTES = 16 * 1024  # a row is a few hundred bytes; a longer one is not a row


@dataclass(slots=True)
class Row:
    number: int
    email: str
    email_verified: bool
    phone: str | None
    password_hash: str | None
    totp_secret: str | None
    legacy_system: str | None
    legacy_id: str | None
    created_at: dt.datetime | None

    @property
    def import_key(self) -> str:
        """What makes a re-run skip this row: the legacy id within its system, else the email.
        A system name cannot contain ':' nor start with '@', so the two kinds never meet."""
        if self.legacy_id is not None:
            return f"{self.legacy_system}:{self.legacy_id}"
        return f"@{self.email}"


@dataclass(slots=True)
class Rejected:
    number: int
    reason: str
    email: str | None = None
    legacy_system: str | None = None
    legacy_id: str | None = None


class RowError(ValueError):
    pass


def read_rows(stream: BinaryIO, fmt: str) -> Iterator[Row | Rejected]:
    """Every record of the file, checked, in order."""
    for item in raw_records(stream, fmt):
        yield item if isinstance(item, Rejected) else check_record(fmt, *item)


def raw_records(stream: BinaryIO, fmt: str) -> Iterator[tuple[int, object] | Rejected]:
    """The file cut into records, (row number, payload), without checking them: the cheap part,
    done in order by the importer; `check_record` is the costly part, which may run elsewhere
    (migration/parallel.py). A payload is a JSON Lines line (bytes) or a CSV row (dict)."""
    if fmt == "jsonl":
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield number, line
    elif fmt == "csv":
        yield from _csv(stream)
    else:
        raise ValueError(f"unknown format {fmt!r}: jsonl or csv")


def check_record(fmt: str, number: int, payload) -> Row | Rejected:
    if fmt == "csv":
        return _checked(number, payload, from_csv=True)
    return _jsonl_line(number, payload)


def check_chunk(fmt: str, items: list) -> list[Row | Rejected]:
    """A list of `raw_records` items checked (a worker process's task)."""
    return [item if isinstance(item, Rejected) else check_record(fmt, *item) for item in items]


def _jsonl_line(number: int, line: bytes) -> Row | Rejected:
    if len(line) > MAX_LINE_BYTES:
        return Rejected(number, f"malformed row: longer than {MAX_LINE_BYTES} bytes")
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected(number, f"wrong encoding: not UTF-8 (byte {exc.start + 1} of the line)")
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Rejected(number, f"malformed row: not JSON ({exc.msg})")
    if not isinstance(record, dict):
        return Rejected(number, "malformed row: not a JSON object")
    return _checked(number, record)


def _csv(stream: BinaryIO) -> Iterator[tuple[int, dict] | Rejected]:
    # surrogateescape keeps undecodable bytes visible per row instead of stopping the file.
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield Rejected(1, f"malformed header: {exc}")
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    number = 1
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejected(number, f"malformed row: {exc}")
            continue
        if not values:
            continue
        if len(values) != len(header):
            yield Rejected(number, f"malformed row: {len(values)} values for {len(header)} columns")
            continue
        if any(_undecodable(v) for v in values):
            yield Rejected(number, "wrong encoding: not UTF-8")
            continue
        yield number, dict(zip(header, values))


def _undecodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _checked(number: int, record: dict, from_csv: bool = False) -> Row | Rejected:
    email = record.get("email")
    legacy_system, legacy_id = record.get("legacy_system"), record.get("legacy_id")
    try:
        unknown = [k for k in record if k not in FIELDS]
        if unknown:
            raise RowError(f"unknown fields: {', '.join(sorted(map(str, unknown)))[:150]}")
        return _row(number, record, from_csv)
    except RowError as exc:
        return Rejected(number, str(exc), _text(email), _text(legacy_system), _text(legacy_id))


def _text(value) -> str | None:
    return value[:256] if isinstance(value, str) else (str(value) if isinstance(value, int) else None)


def _optional(record: dict, name: str, from_csv: bool) -> str | None:
    value = record.get(name)
    if value is None or (from_csv and value == ""):
        return None
    if not isinstance(value, str):
        raise RowError(f"{name} must be a string")
    return value


def _row(number: int, record: dict, from_csv: bool) -> Row:
    email = _optional(record, "email", from_csv)
    if email is None:
        raise RowError("email is missing")
    email = email.strip().lower()
    if len(email) > 256 or not EMAIL.match(email):
        raise RowError("email is not an email address")

    verified = record.get("email_verified", False)
    if from_csv or isinstance(verified, str):
        verified = TRUE_TEXT.get(str(verified).strip().lower())
    if not isinstance(verified, bool):
        raise RowError("email_verified must be true or false")

    phone = _optional(record, "phone", from_csv)
    if phone is not None:
        try:
            phone = e164(phone)
        except AccountInputError:
            raise RowError("phone is not a valid phone number") from None

    password_hash = _optional(record, "password_hash", from_csv)
    if password_hash is not None:
        try:
            legacy_hashes.check(password_hash)
        except legacy_hashes.LegacyHashError as exc:
            raise RowError(f"password_hash: {exc}") from None

    totp_secret = _optional(record, "totp_secret", from_csv)
    if totp_secret is not None:
        try:
            totp_secret = check_totp_secret(totp_secret)
        except AccountInputError:
            raise RowError("totp_secret must be base32 of at least 80 bits") from None

    legacy_id = record.get("legacy_id")
    if isinstance(legacy_id, int) and not isinstance(legacy_id, bool):
        legacy_id = str(legacy_id)
    legacy_id = _optional({"legacy_id": legacy_id}, "legacy_id", from_csv)
    legacy_system = _optional(record, "legacy_system", from_csv)
    if legacy_id is not None:
        if not legacy_id.strip() or len(legacy_id) > 256:
            raise RowError("legacy_id must be 1 to 256 characters")
        if legacy_system is None:
            raise RowError("legacy_id needs legacy_system")
    if legacy_system is not None and not SYSTEM_NAME.match(legacy_system):
        raise RowError("legacy_system must be 1 to 64 letters, digits, '.', '_' or '-'")

    created_at = _optional(record, "created_at", from_csv)
    if created_at is not None:
        try:
            created_at = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        except ValueError:
            raise RowError("created_at is not an ISO 8601 date and time") from None
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=dt.UTC)

    return Row(number, email, verified, phone, password_hash, totp_secret, legacy_system, legacy_id, created_at)
