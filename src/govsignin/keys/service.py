"""Signing keys: creation, rotation, and an in-process cache of what to sign and publish.

Each algorithm (ES256 default, RS256 for services that need it) has one `current` key that signs,
one `next` key already published so relying parties have it cached before it signs anything,
and `retiring` keys still published until every token they signed has expired.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass

from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from govsignin.config import Settings
from govsignin.crypto import SecretBox
from govsignin.db.base import utcnow
from govsignin.keys.models import SigningKey

ALGORITHMS = ("ES256", "RS256")
STALE_RETRY_SECONDS = 5.0


def generate_key(alg: str, hex_kid: bool = False):
    if alg == "ES256":
        key = ECKey.generate_key("P-256", private=True)
    elif alg == "RS256":
        key = RSAKey.generate_key(2048, private=True)
    else:
        raise ValueError(f"unsupported signing algorithm {alg}")
    if hex_kid:  # One Login's identity key ids: SHA-256 in hex (here of the RFC 7638 thumbprint)
        key = type(key).import_key({**key.as_dict(private=True), "kid": hashlib.sha256(key.thumbprint().encode()).hexdigest()})
    else:
        key.ensure_kid()  # RFC 7638 thumbprint
    return key


class KeyRotationTooSoon(Exception):
    pass


@dataclass
class KeyRing:
    """A snapshot of the keys, loaded from the database."""

    signing: dict  # alg -> (kid, private key)
    verifying: dict  # kid -> public key (every published key)
    jwks_json: bytes
    loaded_at: float


class KeyService:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker, purpose: str = "tokens",
                 algorithms: tuple[str, ...] = ALGORITHMS):
        self.settings = settings
        self.purpose = purpose  # a separate ring of keys per purpose (keys/models.py)
        self.algorithms = algorithms
        self.sessionmaker = sessionmaker
        self.box = SecretBox(settings.key_encryption_key)
        self._ring: KeyRing | None = None
        self._reload = asyncio.Lock()
        # Decrypted/imported keys by kid: a reload re-reads rows, not the costly key imports.
        self._imported: dict[str, tuple] = {}

    def _row_for(self, key, alg: str, state: str, now: dt.datetime) -> SigningKey:
        public = key.as_dict(private=False)
        public.update({"use": "sig", "alg": alg, "kid": key.kid})
        return SigningKey(
            kid=key.kid,
            alg=alg,
            purpose=self.purpose,
            state=state,
            private_key_encrypted=self.box.encrypt(json.dumps(key.as_dict(private=True))),
            public_jwk=public,
            created_at=now,
            activated_at=now if state == "current" else None,
        )

    async def ensure_keys(self) -> None:
        """First start: one current and one next key per algorithm."""
        async with self.sessionmaker() as db, db.begin():
            rows = (await db.execute(select(SigningKey.alg, SigningKey.state).where(SigningKey.purpose == self.purpose))).all()
            have = {(alg, state) for alg, state in rows}
            now = utcnow()
            for alg in self.algorithms:
                if (alg, "current") not in have:
                    db.add(self._row_for(self._generate(alg), alg, "current", now))
                if (alg, "next") not in have:
                    db.add(self._row_for(self._generate(alg), alg, "next", now))
        self._ring = None

    def _generate(self, alg: str):
        return generate_key(alg, hex_kid=self.purpose != "tokens")

    async def rotate(self, force: bool = False) -> dict:
        """Promote next → current, current → retiring, and publish a new next key.

        Refuses (unless forced) while a `next` key has been published for less than the JWKS
        cache lifetime, because a relying party with a cached JWKS would not know it yet.
        """
        now = utcnow()
        retire_at = now + dt.timedelta(seconds=self.settings.key_retire_seconds)
        report = {"promoted": [], "retiring": [], "published": [], "deleted": []}
        async with self.sessionmaker() as db, db.begin():
            keys = (await db.execute(select(SigningKey).where(SigningKey.purpose == self.purpose).with_for_update())).scalars().all()
            for alg in self.algorithms:
                nxt = [k for k in keys if k.alg == alg and k.state == "next"]
                cur = [k for k in keys if k.alg == alg and k.state == "current"]
                if nxt and not force:
                    age = (now - nxt[0].created_at).total_seconds()
                    if age < self.settings.jwks_max_age:
                        raise KeyRotationTooSoon(
                            f"The next {alg} key was published {int(age)} s ago; relying parties "
                            f"may cache the JWKS for {self.settings.jwks_max_age} s. Wait, or "
                            "use --force if you accept that risk."
                        )
                for k in cur:
                    k.state, k.expires_at = "retiring", retire_at
                    report["retiring"].append(k.kid)
                if nxt:
                    nxt[0].state, nxt[0].activated_at = "current", now
                    report["promoted"].append(nxt[0].kid)
                else:
                    fresh = self._row_for(self._generate(alg), alg, "current", now)
                    db.add(fresh)
                    report["promoted"].append(fresh.kid)
                new_next = self._row_for(self._generate(alg), alg, "next", now)
                db.add(new_next)
                report["published"].append(new_next.kid)
            expired = [k.kid for k in keys if k.state == "retiring" and k.expires_at and k.expires_at <= now]
            if expired:
                await db.execute(delete(SigningKey).where(SigningKey.kid.in_(expired)))
                report["deleted"] = expired
        self._ring = None
        return report

    async def list_keys(self) -> list[dict]:
        async with self.sessionmaker() as db:
            query = select(SigningKey).where(SigningKey.purpose == self.purpose).order_by(SigningKey.created_at)
            rows = (await db.execute(query)).scalars()
            return [
                {
                    "kid": k.kid,
                    "alg": k.alg,
                    "state": k.state,
                    "created_at": k.created_at.isoformat(),
                    "expires_at": k.expires_at.isoformat() if k.expires_at else None,
                }
                for k in rows
            ]

    def _fresh(self, ring: KeyRing | None) -> bool:
        return ring is not None and time.monotonic() - ring.loaded_at <= self.settings.key_cache_seconds

    def fresh_ring(self) -> KeyRing | None:
        """The ring if it needs no reload (no await: the JWKS lane's common case), else None."""
        ring = self._ring
        return ring if self._fresh(ring) else None

    async def ring(self) -> KeyRing:
        ring = self._ring
        if self._fresh(ring):
            return ring
        async with self._reload:  # one reload at a time; the others wait and reuse it
            if not self._fresh(self._ring):
                try:
                    self._ring = await self._load()
                except Exception:
                    if self._ring is None:
                        raise
                    # The database is unreachable: keep signing and publishing the keys we
                    # already hold (they were valid seconds ago) and try again shortly, rather
                    # than fail every JWKS and token request for the length of the outage.
                    self._ring.loaded_at = time.monotonic() - self.settings.key_cache_seconds + STALE_RETRY_SECONDS
            return self._ring

    async def _load(self) -> KeyRing:
        now = utcnow()
        async with self.sessionmaker() as db:
            rows = (await db.execute(select(SigningKey).where(SigningKey.purpose == self.purpose))).scalars().all()
        signing, verifying, published = {}, {}, []
        for k in sorted(rows, key=lambda r: (r.state != "current", r.created_at)):
            if k.state == "retiring" and k.expires_at and k.expires_at <= now:
                continue
            if k.kid not in self._imported:
                self._imported[k.kid] = (KeySet.import_key_set({"keys": [k.public_jwk]}).keys[0], None)
            public, private = self._imported[k.kid]
            verifying[k.kid] = public
            published.append(k.public_jwk)
            if k.state == "current" and k.alg not in signing:
                if private is None:
                    cls = ECKey if k.alg == "ES256" else RSAKey
                    private = cls.import_key(json.loads(self.box.decrypt(k.private_key_encrypted)))
                    self._imported[k.kid] = (public, private)
                signing[k.alg] = (k.kid, private)
        for kid in self._imported.keys() - verifying.keys():  # deleted or expired: bounded by the live keys
            del self._imported[kid]
        jwks = json.dumps({"keys": published}, separators=(",", ":")).encode()
        return KeyRing(signing=signing, verifying=verifying, jwks_json=jwks, loaded_at=time.monotonic())

    async def verifying_key(self, kid: str):
        ring = await self.ring()
        key = ring.verifying.get(kid)
        if key is None and time.monotonic() - ring.loaded_at > 1:
            self._ring = None  # an unknown kid may be a key another instance just made
            key = (await self.ring()).verifying.get(kid)
        return key
