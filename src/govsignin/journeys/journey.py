"""A journey: one authorization request being completed in one browser session."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

from govsignin import records
from govsignin.journeys.machine import REVISITABLE, State, next_state


@dataclass
class Journey:
    id: str  # the browser session id it belongs to
    request: dict  # the validated AuthorizationRequest
    state: str
    history: list[str] = field(default_factory=list)
    email: str | None = None
    user_id: str | None = None
    mfa_kind: str | None = None
    password_verified: bool = False
    mfa_verified: bool = False
    reauth: bool = False
    client_name: str = ""
    started: int = field(default_factory=lambda: int(time.time()))

    # Flows keep their own values here (e.g. account creation's email code state).
    data: dict = field(default_factory=dict)

    _session = None  # the BrowserSession holding it (not a field: not saved)

    def fire(self, event: str) -> str:
        target = str(next_state(self, event))
        self.state = target
        self.history.append(target)
        return target

    def can_show(self, page: str) -> bool:
        """A page may be shown if it is the current state, or a revisitable earlier one."""
        page = str(page)
        return page == self.state or (page in REVISITABLE and page in self.history)

    def rewind_to(self, page: str) -> None:
        page = str(page)
        if page != self.state:
            cut = len(self.history) - 1 - self.history[::-1].index(page)
            self.history = self.history[: cut + 1]
            self.state = page
            if page in (State.SIGN_IN_OR_CREATE, State.ENTER_EMAIL):
                self.password_verified = False


_FIELDS = tuple(f.name for f in fields(Journey))


class Journeys:
    """The journey lives in its browser session's record (`BrowserSession.journey`), so a page
    finds both with one store read. It keeps its own expiry (`journey_ttl`), and writing it keeps
    the session's idle timeout where it was (as when it had a key of its own)."""

    def __init__(self, settings, store, sessions=None):
        self.settings = settings
        self.store = store
        self.sessions = sessions

    def of(self, session) -> Journey | None:
        """The session's journey, or None (none, or expired)."""
        raw = session.journey if session is not None else None
        if not raw or raw.get("expires", 0) <= time.time():
            return None
        journey = Journey(**{k: v for k, v in raw.items() if k != "expires"})
        journey._session = session
        return journey

    async def load(self, session_or_id) -> Journey | None:
        session = session_or_id
        if isinstance(session_or_id, str):
            session = await self.sessions.load(session_or_id)
        return self.of(session)

    def attach(self, journey: Journey, session) -> None:
        """Put the journey in the session record (written by whoever saves the session next)."""
        journey._session = session
        raw = {name: getattr(journey, name) for name in _FIELDS}
        raw["expires"] = round(time.time() + self.settings.journey_ttl, 3)
        session.journey = records.loads(records.dump_bytes(raw))  # a snapshot (asdict's deep copy costs 3-4x)

    async def save(self, journey: Journey, session=None, store=None) -> None:
        session = session if session is not None else journey._session
        self.attach(journey, session)
        await self.sessions.save_keeping_idle(session, store)

    async def delete(self, journey: Journey) -> None:
        session = getattr(journey, "_session", None)
        if session is not None and session.journey is not None:
            session.journey = None
            await self.sessions.save_keeping_idle(session)
