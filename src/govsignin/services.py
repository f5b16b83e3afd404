"""The Services bundle: every domain service, built once per process from settings.

Views look services up here (request.app.state.services) and never construct them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from govsignin.accounts.lockout import Lockouts
from govsignin.accounts.service import Accounts
from govsignin.accounts.sessions import Sessions
from govsignin.audit.append import Audit
from govsignin.db.hot import release
from govsignin.config import Settings
from govsignin.db.engine import create_engine, create_sessionmaker
from govsignin.journeys.journey import Journeys
from govsignin.keys.service import KeyService
from govsignin.messaging.service import Messages, create_messages
from govsignin.oidc.backchannel import InFlight
from govsignin.onboarding.client_keys import ClientKeys
from govsignin.onboarding.registry import ClientRegistry
from govsignin.store import Store, create_security_store, create_store


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker
    store: Store
    security_state: Store  # the database, always: state that must not vanish (store/__init__.py)
    keys: KeyService
    registry: ClientRegistry
    client_keys: ClientKeys
    accounts: Accounts
    lockouts: Lockouts
    sessions: Sessions
    journeys: Journeys
    audit: Audit
    messages: Messages
    templates: object = None
    worker_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    backchannel: InFlight = field(default_factory=InFlight)  # this worker's deliveries under way
    _identity: object = field(default=None, repr=False)

    @property
    def identity(self):
        """Identity proving (identity/service.Identity), built on first use: a worker that never
        proves an identity or serves did.json does not carry its modules (~1 MiB)."""
        if self._identity is None:
            from govsignin.identity.service import Identity

            self._identity = Identity(self.settings, self.sessionmaker, self.store)
        return self._identity

    async def ensure_keys(self) -> None:
        """Both key rings: the token keys (JWKS) and the core identity key (did.json)."""
        await self.keys.ensure_keys()
        await self.identity.keys.ensure_keys()

    def wake_worker(self) -> None:
        self.worker_wakeup.set()

    async def close(self) -> None:
        close = getattr(self.store, "close", None)
        if close:
            await close()
        await release(self.engine)  # the connections the hot paths keep (db/hot.py)
        if self._identity is not None:
            await self._identity.close()
        await self.engine.dispose()
        self.accounts.passwords.pool.shutdown(wait=False)  # idle hashing threads end with the app


def build_services(settings: Settings, with_templates: bool = True) -> Services:
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    store = create_store(settings, engine)
    security_state = create_security_store(engine)
    services = Services(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        store=store,
        security_state=security_state,
        keys=KeyService(settings, sessionmaker),
        registry=ClientRegistry(sessionmaker),
        client_keys=ClientKeys(settings),
        accounts=Accounts(settings, sessionmaker, store),
        lockouts=Lockouts(settings, security_state),
        sessions=(sessions := Sessions(settings, store, security_state)),
        journeys=Journeys(settings, store, sessions),
        audit=Audit(engine),
        messages=create_messages(settings, sessionmaker),
    )
    if with_templates:
        from govsignin.web.templating import Templates

        services.templates = Templates(settings)
    return services
