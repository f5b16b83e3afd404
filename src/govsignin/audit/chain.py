"""The hash chain's arithmetic: one canonical serialisation of an event, and its SHA-256.

The hash covers everything an investigator relies on, plus the previous event's hash, so
changing, removing or reordering any recorded event changes every hash after it.

    hash = sha256(canonical JSON of {seq, tag, created_at, user_id, client_id, ip,
                                     user_agent, details, prev_hash})

Two documents, told apart by the event's `personal` column:

- events without personal data, and every event recorded before migration 0007, hash the fields
  above, `user_id`, `ip` and `user_agent` included (format 1);
- events with personal data (migration 0007 on) keep it in the side table `audit_personal` and
  hash, instead of it, `personal` = HMAC-SHA256(a random per-event salt, canonical JSON of
  {user_id, ip, user_agent}), plus "v": 2 (format 2). The salt lives in the side row, so deleting
  the side row (account deletion) anonymises the event while its hash still verifies:

    hash = sha256(canonical JSON of {v: 2, seq, tag, created_at, client_id, details, prev_hash, personal})

`seq` is the event's position in the chain (1, 2, 3, ... with no gaps); the table's `id` is only a
row handle and is not hashed (it comes from a sequence that can skip numbers). The first event's
`prev_hash` is GENESIS. Migration 0002 uses these same functions to chain events recorded before
the chain existed, so changing the serialisation is a format change: it needs a new migration
(and a checkpoint, see docs/audit.md), never an edit here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
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


PERSONAL_FIELDS = ("user_id", "ip", "user_agent")
HASHED_FIELDS_V2 = ("v", "seq", "tag", "created_at", "client_id", "details", "prev_hash", "personal")


def canonical_v2(event: dict[str, Any]) -> bytes:
    doc = {name: event.get(name) for name in HASHED_FIELDS_V2}
    doc["v"] = 2
    if isinstance(doc["created_at"], dt.datetime):
        doc["created_at"] = timestamp(doc["created_at"])
    if doc["details"] is None:
        doc["details"] = {}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def personal_digest(salt: str, values: dict[str, Any]) -> str:
    """HMAC-SHA256 keyed with the event's salt (hex) over the canonical JSON of its personal fields."""
    message = json.dumps({name: values.get(name) for name in PERSONAL_FIELDS},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(32)


def event_hash(event: dict[str, Any]) -> str:
    if event.get("personal") is not None:
        return hashlib.sha256(canonical_v2(event)).hexdigest()
    return hashlib.sha256(canonical(event)).hexdigest()
