"""Browser sessions: one `gs` cookie naming a record in the shared store.

The record holds who signed in, when, at which credential level, which services the session
has signed in to (for back-channel logout), and the CSRF token. Idle sessions end after
`session_idle_seconds` (One Login: 60 minutes). The id is replaced at sign-in (no fixation).

The record also carries what single sign-on needs (`sub`, the account's internal subject, so a
silent /authorize reads no account row) and the journey in progress, if any (journeys/journey.py):
one store read gives a page both. `exp` is when the idle timeout ends; writing only the journey
keeps it (`save_keeping_idle`), so pages in a journey do not extend the session any more than
they did when the journey had a key of its own.

A session read from the store is written back only over its live record (`Store.replace`): if
another request deleted it meanwhile (the old id of a sign-in in another tab, sign-out, "sign
out everywhere"), the write is dropped rather than bringing the record back with whatever
journey state this request read. New sessions, and a session under its new id, are created.

Each account's session generation (`user-gen:<user id>`: "sign out of all devices" raises it)
lives in the security store, the database, so a Redis eviction or restart cannot bring ended
sessions back. When Redis is the store it also caches the generation (cache-aside: a miss reads
the database and fills the cache only if nothing newer was written meanwhile), so loading a
session costs two Redis reads, as before.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field, fields
from typing import ClassVar

from govsignin import records
from govsignin.store import Store

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


@dataclass
class BrowserSession:
    id: str
    csrf: str
    user_id: str | None = None
    auth_time: int | None = None
    level: str | None = None  # "Cl" or "Cl.Cm"
    clients: list[str] = field(default_factory=list)
    created: int = field(default_factory=lambda: int(time.time()))
    lang: str | None = None
    gen: int = 0  # the user's session generation at sign-in; "sign out everywhere" raises it
    sub: str | None = None  # the signed-in account's internal subject (single sign-on's code)
    exp: float = 0.0  # when the idle timeout ends (0: a record from before this field)
    journey: dict | None = None  # the journey in progress (Journeys), with its own expiry
    # Names this browser session for its whole life (the id changes at every sign-in): access
    # tokens carry it, so ending the session ends them (`ended:<key>`, read by /userinfo).
    key: str = ""
    # Made by an anonymous visit (/authorize, an account page) and not yet used for a form post:
    # kept only pre_sign_in_seconds, so a flood of visits costs the store little.
    provisional: bool = False
    # Not a field (never serialised): whether the record under `id` exists in the store.
    stored: ClassVar[bool] = False

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


_FIELDS = tuple(f.name for f in fields(BrowserSession))


def _dump(session: BrowserSession) -> str:
    # Not dataclasses.asdict: it deep-copies every value (the journey too) only to serialise it.
    # Unset values are left out (every field has a default), keeping the record small.
    return records.dumps({name: value for name in _FIELDS if (value := getattr(session, name)) is not None})


# The generation counter must outlive any session it ended (sessions slide by idle time).
USER_GENERATION_TTL = 10 * 365 * 86400
# How long Redis keeps a generation it read from the database (a miss costs one indexed read).
GENERATION_CACHE_TTL = 86400


def _new_id() -> str:
    return secrets.token_urlsafe(32)


class Sessions:
    def __init__(self, settings, store: Store, durable: Store | None = None):
        """`durable`: the security store (generations); without one, `store` keeps them."""
        self.settings = settings
        self.store = store
        self.durable = durable or store
        # A cache only in front of a different kind of store (Redis before the database).
        self.cache = store if durable is not None and getattr(settings, "redis_url", None) else None
        self.cookie_name = "__Host-gs" if settings.secure_cookies() else "gs"

    async def load(self, session_id: str | None) -> BrowserSession | None:
        if not session_id or not SESSION_ID.match(session_id):
            return None  # a tampered cookie is no session (and never reaches the store)
        raw = await self.store.get(f"sess:{session_id}")
        if raw is None:
            return None
        session = BrowserSession(**records.loads(raw))
        session.stored = True
        if session.user_id and session.gen < await self.generation(session.user_id):
            # ended by "sign out of all devices" (on any instance)
            await self.store.delete(f"sess:{session.id}", f"journey:{session.id}")
            return None
        return session

    async def generation(self, user_id: str) -> int:
        key = f"user-gen:{user_id}"
        if self.cache is None:
            raw = await self.durable.get(key)
            return int(raw) if raw else 0
        raw = await self.cache.get(key)
        if raw is None:  # evicted, expired or never cached: the database decides
            raw = await self.durable.get(key) or "0"
            # add, not set: a raise written meanwhile by end_all_for_user is never overwritten
            await self.cache.add(key, raw, GENERATION_CACHE_TTL)
        return int(raw)

    async def end_all_for_user(self, user_id: str) -> None:
        """End every session of this user, everywhere: sessions signed in before now stop loading."""
        key = f"user-gen:{user_id}"
        generation = await self.durable.incr(key, USER_GENERATION_TTL)
        if self.cache is not None:
            await self.cache.set(key, str(generation), GENERATION_CACHE_TTL)

    def new(self) -> BrowserSession:
        return BrowserSession(id=_new_id(), csrf=secrets.token_urlsafe(24), key=secrets.token_urlsafe(16))

    async def write(self, store, session: BrowserSession) -> None:
        """Save the session and restart its idle timeout, on `store` (the store, or a store
        transaction the caller writes something else in)."""
        ttl = self.settings.session_idle_seconds
        session.exp = round(time.time() + ttl, 3)
        session.provisional = False
        await self._put(store, session, ttl)

    async def save(self, session: BrowserSession) -> None:
        await self.write(self.store, session)

    async def save_provisional(self, session: BrowserSession) -> None:
        """A new session from an anonymous visit: written for pre_sign_in_seconds only, until its
        first form post makes it an ordinary session (`confirm`)."""
        session.provisional = True
        ttl = min(self.settings.pre_sign_in_seconds, self.settings.session_idle_seconds)
        session.exp = round(time.time() + ttl, 3)
        await self._put(self.store, session, ttl)

    async def confirm(self, session: BrowserSession) -> None:
        """The first form post of a provisional session: from now on, the normal idle timeout."""
        if session.provisional:
            session.provisional = False
            await self.save(session)

    async def save_keeping_idle(self, session: BrowserSession, store=None) -> None:
        """Write the record without restarting the idle timeout (a journey step). `store`: a
        store transaction to write it in."""
        store = store or self.store
        if not session.exp:  # written before `exp` existed: as a save did then
            return await self.write(store, session)
        await self._put(store, session, session.exp - time.time())

    @staticmethod
    async def _put(store, session: BrowserSession, ttl: float) -> None:
        key, value = f"sess:{session.id}", _dump(session)
        if session.stored:  # only over the live record: never bring back one deleted meanwhile
            await store.replace(key, value, ttl)
        else:
            await store.set(key, value, ttl)
            session.stored = True

    async def renew_id(self, session: BrowserSession, generation: int | None = None) -> str:
        """A new id (and CSRF token) for the same session, at sign-in; nothing is written yet.
        Returns the old id: the caller writes the session and deletes the old record together
        (`rotate`, or finish.py with the authorization code). `generation`: the user's session
        generation, when the caller has just read it."""
        old = session.id
        if session.user_id:
            session.gen = generation if generation is not None else await self.generation(session.user_id)
        session.id, session.csrf = _new_id(), secrets.token_urlsafe(24)
        session.stored = False  # the new id's record is created when it is written
        return old

    def old_keys(self, old_id: str) -> tuple[str, ...]:
        return (f"sess:{old_id}",)  # its journey was in it

    async def rotate(self, session: BrowserSession) -> BrowserSession:
        """A new id (and CSRF token) for the same session, at sign-in."""
        return await self.write_renewed(session, await self.renew_id(session))

    async def write_renewed(self, session: BrowserSession, old: str) -> BrowserSession:
        """Save the session under its new id and delete the old record, in one transaction."""
        async with self.store.transaction() as tx:
            await self.write(tx, session)
            await tx.delete(*self.old_keys(old))
        return session

    async def end(self, session: BrowserSession) -> None:
        """Sign out: the record goes, and the access tokens issued in it stop working (they live
        `access_token_ttl`, so the mark needs to live no longer)."""
        async with self.store.transaction() as tx:
            await tx.delete(f"sess:{session.id}", f"journey:{session.id}")
            if session.key:
                await tx.set(f"ended:{session.key}", "1", self.settings.access_token_ttl)

    async def token_still_valid(self, user_id: str, generation: int | None, session_key: str | None) -> bool:
        """An access token (or code) outlives neither "sign out of all devices" (the user's
        generation moved past the one it was issued at) nor the sign-out of its browser session."""
        if generation is not None and await self.generation(user_id) > generation:
            return False
        return not session_key or await self.store.get(f"ended:{session_key}") is None

    def set_cookie(self, response, session: BrowserSession) -> None:
        response.set_cookie(
            self.cookie_name,
            session.id,
            max_age=self.settings.session_idle_seconds,
            path="/",
            secure=self.settings.secure_cookies(),
            httponly=True,
            samesite="lax",  # the return from a service is a top-level GET navigation
        )

    def clear_cookie(self, response) -> None:
        response.delete_cookie(self.cookie_name, path="/", secure=self.settings.secure_cookies(), httponly=True, samesite="lax")
