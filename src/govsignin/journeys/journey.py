"""A journey: one authorization request being completed in one browser session."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

from govsignin import records
from govsignin.journeys.machine import PROVES, RESTARTS, REVISITABLE, IllegalTransition, next_state
from govsignin.journeys.states import Event, Fact, State


# Journey data that is about the request, not about an account: kept when the account changes.
REQUEST_DATA = frozenset({"destination", "return_to"})


@dataclass
class Journey:
    id: str  # the browser session id it belongs to
    request: dict  # the validated AuthorizationRequest
    state: str
    history: list[str] = field(default_factory=list)
    email: str | None = None
    user_id: str | None = None
    mfa_kind: str | None = None
    # What has been proven in this journey, each fact with the account it was proven for
    # ({fact: user id}); a fact counts only while that account is the journey's account.
    facts: dict = field(default_factory=dict)
    second_factor_method: str | None = None  # how the second factor was given
    generation: int = 0  # the account's session generation when it was identified
    reauth: bool = False
    client_name: str = ""
    started: int = field(default_factory=lambda: int(time.time()))

    # Flows keep their own values here (e.g. account creation's email code state). Everything
    # but REQUEST_DATA is about the journey's account and goes when the account changes.
    data: dict = field(default_factory=dict)

    _session = None  # the BrowserSession holding it (not a field: not saved)

    # --- facts, bound to the account -----------------------------------------------------------

    def fact(self, fact: Fact) -> bool:
        return self.user_id is not None and self.facts.get(str(fact)) == self.user_id

    @property
    def password_verified(self) -> bool:
        return self.fact(Fact.PASSWORD)

    @property
    def second_factor_verified(self) -> bool:
        return self.fact(Fact.SECOND_FACTOR)

    @property
    def level(self) -> str | None:
        """The credential level this journey has proven for its account, if any."""
        if not self.password_verified:
            return None
        return "Cl.Cm" if self.second_factor_verified else "Cl"

    def identify(self, user_id: str | None, email: str | None, mfa_kind: str | None = None, generation: int = 0) -> None:
        """The journey is now for this account (None: an address with no account). A different
        account than before forgets every fact and every value proven for the previous one."""
        if user_id != self.user_id or user_id is None:
            self.forget_account()
        self.user_id, self.email, self.mfa_kind, self.generation = user_id, email, mfa_kind, generation

    def forget_account(self) -> None:
        self.user_id = self.email = self.mfa_kind = self.second_factor_method = None
        self.facts = {}
        self.generation = 0
        self.data = {k: v for k, v in self.data.items() if k in REQUEST_DATA}

    def grant(self, *facts: Fact, method: str | None = None) -> None:
        """Record facts proven for the journey's current account (only the table and begin.py,
        which carries facts over from the same account's browser session, call this)."""
        if self.user_id is None:
            return
        for fact in facts:
            self.facts[str(fact)] = self.user_id
        if Fact.SECOND_FACTOR in facts and method:
            self.second_factor_method = method

    # --- moving through the table --------------------------------------------------------------

    def fire(self, event: Event, method: str | None = None) -> State:
        """What the event proves is bound to the current account first; then the table (whose
        guards read those facts) names the next state."""
        proves = PROVES.get(Event(event), ())
        if proves and self.user_id is None:
            raise IllegalTransition(f"{event} proves something, but the journey names no account")
        self.grant(*proves, method=method)
        target = next_state(self, event)
        self.state = str(target)
        self.history.append(str(target))
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
        if page in RESTARTS:  # starting over: nothing proven before is carried on
            typed = self.email  # only to fill the form in again; the next POST sets it anew
            self.forget_account()
            self.email = typed


_FIELDS = tuple(f.name for f in fields(Journey))
_FIELD_SET = frozenset(_FIELDS)
_STATES = frozenset(str(s) for s in State)


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
        if not raw or raw.get("expires", 0) <= time.time() or raw.get("state") not in _STATES:
            return None  # none, expired, or at a page this release no longer has
        # Only known fields: a journey saved by an older release loses what this one does not
        # know (its unbound flags above all), so nothing it proved is trusted.
        journey = Journey(**{k: v for k, v in raw.items() if k in _FIELD_SET})
        journey._session = session
        return journey

    async def identify(self, journey: Journey, user_id: str | None, email: str | None, mfa_kind: str | None = None) -> None:
        """Journey.identify, with the account's session generation now: a journey for an account
        whose sessions end meanwhile (sign out everywhere, a password reset) ends with them."""
        generation = await self.sessions.generation(user_id) if user_id else 0
        journey.identify(user_id, email, mfa_kind, generation)

    async def load(self, session_or_id) -> Journey | None:
        session = session_or_id
        if isinstance(session_or_id, str):
            session = await self.sessions.load(session_or_id)
        return self.of(session)

    def attach(self, journey: Journey, session) -> None:
        """Put the journey in the session record (written by whoever saves the session next)."""
        journey._session = session
        raw = {name: value for name in _FIELDS if (value := getattr(journey, name)) is not None}
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
