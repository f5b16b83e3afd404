"""Recovery codes: 10 single-use codes, shown once when generated, accepted at the second-factor step.

Each code is 10 characters from a 31-letter alphabet without look-alikes (0/o, 1/l/i): about 49.5
random bits, written `abcde-fghij`. Codes are stored as HMAC-SHA256 (keyed with
GOVSIGNIN_CLIENT_SECRET_HASH_KEY, domain-separated and bound to the user), not argon2:

- argon2 exists to slow down guessing of *low-entropy* secrets (passwords) from a stolen hash.
  A 49.5-bit random code cannot be brute-forced from an HMAC even by someone who also has the
  key (2^49 HMACs per code, per user), and without the key the hash reveals nothing at all.
- A keyed hash is deterministic, so checking a code is one indexed lookup and one atomic
  `UPDATE … WHERE used_at IS NULL` (single use even under concurrent submissions), instead of up
  to ten argon2 verifications (~0.5 s of CPU) per attempt.
- Online guessing is bounded by the lockouts on the pages that accept codes.

For the account pages (manage/): `generate_recovery_codes(services, user_id)` replaces any
previous set and returns the new codes (show them once, never store them);
`use_recovery_code(services, user_id, code)`; `recovery_codes_left(services, user_id)`.
"""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import delete, func, select, update

from govsignin.accounts.models import RecoveryCode
from govsignin.crypto import keyed_hash
from govsignin.db.base import utcnow

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_COUNT = 10
CODE_LENGTH = 10


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(code: str) -> str:
    """What the citizen typed, as stored: lower case, without spaces or hyphens."""
    return "".join(ch for ch in code.lower() if ch not in " -\t")


def looks_like_recovery_code(code: str) -> bool:
    c = normalise(code)
    return len(c) == CODE_LENGTH and all(ch in ALPHABET for ch in c)


def _hash(services, user_id: str, code: str) -> str:
    return keyed_hash(services.settings.client_secret_hash_key, f"recovery-code:v1:{user_id}:{normalise(code)}")


async def generate_recovery_codes(services, user_id: str) -> list[str]:
    """A fresh set of 10 codes; any previous set stops working. Returns the codes to show once."""
    codes = [_new_code() for _ in range(CODE_COUNT)]
    while len({normalise(c) for c in codes}) < CODE_COUNT:  # astronomically unlikely
        codes = [_new_code() for _ in range(CODE_COUNT)]
    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        db.add_all(RecoveryCode(user_id=user_id, code_hash=_hash(services, user_id, c)) for c in codes)
    return codes


async def use_recovery_code(services, user_id: str | None, code: str) -> bool:
    """True if `code` is one of the user's unused codes; it is then used up (atomically)."""
    if not user_id or not looks_like_recovery_code(code):
        return False
    wanted = _hash(services, user_id, code)
    async with services.sessionmaker() as db, db.begin():
        row = (
            await db.execute(
                select(RecoveryCode.id, RecoveryCode.code_hash).where(
                    RecoveryCode.user_id == user_id, RecoveryCode.code_hash == wanted, RecoveryCode.used_at.is_(None)
                )
            )
        ).first()
        if row is None or not hmac.compare_digest(row.code_hash, wanted):
            return False
        result = await db.execute(
            update(RecoveryCode)
            .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())
        )
        return result.rowcount == 1


async def recovery_codes_left(services, user_id: str) -> int:
    async with services.sessionmaker() as db:
        return (
            await db.execute(
                select(func.count()).select_from(RecoveryCode).where(
                    RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
                )
            )
        ).scalar_one()
