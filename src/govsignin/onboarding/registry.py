"""The client registry: look services up by client_id, with a short in-process cache.

The cache only holds what the database says (it is a cache, not state): a change made by
`govsignin services add` on any instance is seen everywhere within `TTL` seconds, and an
unknown client_id always goes to the database.
"""

from __future__ import annotations

import re
import time

from sqlalchemy.ext.asyncio import async_sessionmaker

from govsignin.onboarding.models import RelyingParty

TTL = 30.0
CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable ASCII, as registration allows


class ClientRegistry:
    def __init__(self, sessionmaker: async_sessionmaker):
        self.sessionmaker = sessionmaker
        self._cache: dict[str, tuple[float, RelyingParty]] = {}

    async def get(self, client_id: str) -> RelyingParty | None:
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            return None  # never send junk (NUL, huge, non-ASCII) to the database
        hit = self._cache.get(client_id)
        if hit and time.monotonic() - hit[0] < TTL:
            return hit[1]
        async with self.sessionmaker() as db:
            client = await db.get(RelyingParty, client_id)
        if client is not None:
            db.expunge_all()
            self._cache[client_id] = (time.monotonic(), client)
        return client

    def forget(self, client_id: str | None = None) -> None:
        if client_id is None:
            self._cache.clear()
        else:
            self._cache.pop(client_id, None)
