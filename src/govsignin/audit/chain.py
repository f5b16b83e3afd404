"""The hash chain's arithmetic: one canonical serialisation of an event, and its SHA-256.

The hash covers everything an investigator relies on, plus the previous event's hash, so
changing, removing or reordering any recorded event changes every hash after it.

    hash = sha256(canonical JSON of {seq, tag, created_at, user_id, client_id, ip,
                                     user_agent, details, prev_hash})

`seq` is the event's position in the chain (1, 2, 3, ... with no gaps); the table's `id` is only a
row handle and is not hashed (it comes from a sequence that can skip numbers). The first event's
`prev_hash` is GENESIS. Migration 0002 uses these same functions to chain events recorded before
the chain existed, so changing the serialisation is a format change: it needs a new migration
(and a checkpoint, see docs/audit.md), never an edit here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64

HASHED_FIELDS = ("seq", "tag", "created_at", "user_id", "client_id", "ip", "user_agent", "details", "prev_hash")


def timestamp(value: dt.datetime) -> str:
    """ISO 8601 in UTC with microseconds: what both databases store, exactly."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def jsonable(details: dict) -> dict:
    """Details as they will read back from the JSON column (non-JSON values become strings)."""
    return json.loads(json.dumps(details, default=str))


def canonical(event: dict[str, Any]) -> bytes:
    """Sorted-key, whitespace-free UTF-8 JSON of the hashed fields; created_at may be a datetime."""
    doc = {name: event.get(name) for name in HASHED_FIELDS}
    if isinstance(doc["created_at"], dt.datetime):
        doc["created_at"] = timestamp(doc["created_at"])
    if doc["details"] is None:
        doc["details"] = {}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(event: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()
