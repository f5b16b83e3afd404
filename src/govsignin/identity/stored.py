"""Proven identities kept for reuse (capabilities-research.md §1.7: One Login keeps them "for up
to five years after their last use").

Envelope encryption: each record has its own random data key (Fernet), which encrypts the
credentials; the data key is stored wrapped by GOVSIGNIN_IDENTITY_ENCRYPTION_KEY (a comma-
separated list: the first wraps, all unwrap, so that key rotates). Reading a record extends its
life; an expired record is never returned and `purge_expired()` deletes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.fernet import Fernet
from sqlalchemy import delete, select

from govsignin.crypto import SecretBox
from govsignin.db.base import utcnow
from govsignin.identity.credentials import Credential
from govsignin.identity.models import StoredIdentity
from govsignin.records import dumps, loads


@dataclass(frozen=True)
class ProvenIdentity:
    user_id: str
    vot: str
    credentials: list[Credential]
    proven_at: dt.datetime
    last_used_at: dt.datetime


def _credential_record(c: Credential) -> dict:
    return {"cri": c.cri, "issuer": c.issuer, "subject": c.subject, "evidence": list(c.evidence),
            "issued_at": c.issued_at.isoformat(), "types": list(c.types), "jwt": c.jwt, "jti": c.jti}


def _credential(record: dict) -> Credential:
    return Credential(cri=record["cri"], issuer=record["issuer"], subject=record["subject"],
                      evidence=tuple(record["evidence"]), issued_at=dt.datetime.fromisoformat(record["issued_at"]),
                      types=tuple(record["types"]), jwt=record["jwt"], jti=record.get("jti"))


class StoredIdentities:
    def __init__(self, settings, sessionmaker):
        self.sessionmaker = sessionmaker
        self.box = SecretBox(settings.identity_encryption_key)
        self.keep = dt.timedelta(days=settings.identity_retention_days)

    def _seal(self, credentials: list[Credential]) -> tuple[str, str]:
        data_key = Fernet.generate_key()
        ciphertext = Fernet(data_key).encrypt(dumps([_credential_record(c) for c in credentials]).encode()).decode()
        return self.box.encrypt(data_key.decode()), ciphertext

    def _open(self, row: StoredIdentity) -> list[Credential]:
        data_key = self.box.decrypt(row.wrapped_key).encode()
        return [_credential(r) for r in loads(Fernet(data_key).decrypt(row.ciphertext.encode()))]

    async def save(self, user_id: str, vot: str, credentials: list[Credential]) -> None:
        """Keep (or replace) the account's proven identity."""
        wrapped, ciphertext = self._seal(credentials)
        now = utcnow()
        async with self.sessionmaker() as db, db.begin():
            row = await db.get(StoredIdentity, user_id)
            if row is None:
                row = StoredIdentity(user_id=user_id)
                db.add(row)
            row.vot, row.wrapped_key, row.ciphertext = vot, wrapped, ciphertext
            row.proven_at = row.last_used_at = now
            row.expires_at = now + self.keep

    async def load(self, user_id: str, *, use: bool = True) -> ProvenIdentity | None:
        """The account's proven identity, or None; `use` (a service receives it) extends its life."""
        now = utcnow()
        async with self.sessionmaker() as db, db.begin():
            row = await db.get(StoredIdentity, user_id)
            if row is None or row.expires_at <= now:
                return None
            if use:
                row.last_used_at, row.expires_at = now, now + self.keep
            return ProvenIdentity(user_id, row.vot, self._open(row), row.proven_at, row.last_used_at)

    async def delete(self, user_id: str) -> bool:
        async with self.sessionmaker() as db, db.begin():
            result = await db.execute(delete(StoredIdentity).where(StoredIdentity.user_id == user_id))
            return result.rowcount > 0

    async def purge_expired(self) -> int:
        async with self.sessionmaker() as db, db.begin():
            result = await db.execute(delete(StoredIdentity).where(StoredIdentity.expires_at <= utcnow()))
            return result.rowcount

    async def raw(self, user_id: str) -> StoredIdentity | None:
        """The row as stored (tests and operators check nothing is in clear)."""
        async with self.sessionmaker() as db:
            return (await db.execute(select(StoredIdentity).where(StoredIdentity.user_id == user_id))).scalar_one_or_none()
