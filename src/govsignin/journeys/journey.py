"""A journey: one authorization request being completed in one browser session."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

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


class Journeys:
    def __init__(self, settings, store):
        self.settings = settings
        self.store = store

    async def load(self, session_id: str) -> Journey | None:
        raw = await self.store.get(f"journey:{session_id}")
        return Journey(**json.loads(raw)) if raw else None

    async def save(self, journey: Journey) -> None:
        await self.store.set(f"journey:{journey.id}", json.dumps(asdict(journey)), self.settings.journey_ttl)

    async def delete(self, journey: Journey) -> None:
        await self.store.delete(f"journey:{journey.id}")
