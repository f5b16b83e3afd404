"""The journey as one transition table: state → event → [(guard, next state)].

States are page paths (as in One Login's authentication-frontend). A page handler never decides
where to go next: it fires an event, and the table (with its guards) names the next page.

The sign-in flow is defined here. Other flows (account creation, recovery, …) define their own
State/Event enums in journeys/flows/<flow>.py and call `extend(table, revisitable)`; the merged
table is still one table, and `tests/unit/test_machine.py` checks it is closed (every target is a
state with a page).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class State(StrEnum):
    SIGN_IN_OR_CREATE = "sign-in-or-create"
    ENTER_EMAIL = "enter-email"
    ENTER_PASSWORD = "enter-password"
    ENTER_AUTH_APP_CODE = "enter-authenticator-app-code"
    SECOND_FACTOR_NEEDED = "second-factor-needed"
    ACCOUNT_LOCKED = "account-locked"
    SECURITY_CODE_LOCKED = "security-code-invalid"
    AUTH_CODE = "auth-code"  # terminal: hand back to the protocol


class Event(StrEnum):
    SIGN_IN_CHOSEN = "SIGN_IN_CHOSEN"
    EMAIL_ENTERED = "EMAIL_ENTERED"
    PASSKEY_VERIFIED = "PASSKEY_VERIFIED"  # a passkey offered on the email page: both factors
    EMAIL_BLOCKED = "EMAIL_BLOCKED"
    CREDENTIALS_VALIDATED = "CREDENTIALS_VALIDATED"
    PASSWORD_LOCKED = "PASSWORD_LOCKED"
    MFA_CODE_VERIFIED = "MFA_CODE_VERIFIED"
    CODE_LOCKED = "CODE_LOCKED"


Guard = Callable[["Journey"], bool]  # noqa: F821


def needs_second_factor(j) -> bool:
    return j.request["credential_level"] == "Cl.Cm" and not j.mfa_verified


def has_auth_app(j) -> bool:
    return j.mfa_kind == "auth_app"


def needs_auth_app_code(j) -> bool:
    return needs_second_factor(j) and has_auth_app(j)


def needs_sms_code(j) -> bool:
    return needs_second_factor(j) and j.mfa_kind == "sms"


def mfa_reset_ready(j) -> bool:  # a lost-factor waiting period has passed: set a new method
    return bool(j.data.get("mfa_reset_ready"))


S, E = State, Event

TRANSITIONS: dict[str, dict[str, list[tuple[Guard | None, str]]]] = {
    S.SIGN_IN_OR_CREATE: {E.SIGN_IN_CHOSEN: [(None, S.ENTER_EMAIL)]},
    S.ENTER_EMAIL: {
        # Whatever the email (an account with a passkey, one without, none): the same next page.
        E.EMAIL_ENTERED: [(None, S.ENTER_PASSWORD)],
        E.PASSKEY_VERIFIED: [(None, S.AUTH_CODE)],
        E.EMAIL_BLOCKED: [(None, S.ACCOUNT_LOCKED)],
    },
    S.ENTER_PASSWORD: {
        E.CREDENTIALS_VALIDATED: [
            (mfa_reset_ready, "change-security-codes"),
            (needs_auth_app_code, S.ENTER_AUTH_APP_CODE),
            (needs_sms_code, "enter-code"),
            (needs_second_factor, S.SECOND_FACTOR_NEEDED),
            (None, S.AUTH_CODE),
        ],
        E.PASSWORD_LOCKED: [(None, S.ACCOUNT_LOCKED)],
    },
    S.ENTER_AUTH_APP_CODE: {
        E.MFA_CODE_VERIFIED: [(None, S.AUTH_CODE)],
        E.CODE_LOCKED: [(None, S.SECURITY_CODE_LOCKED)],
    },
    S.SECOND_FACTOR_NEEDED: {},
    S.ACCOUNT_LOCKED: {},
    S.SECURITY_CODE_LOCKED: {},
    S.AUTH_CODE: {},
}

# States a citizen may go back to with the browser's back button (they only re-ask).
REVISITABLE: set[str] = {S.SIGN_IN_OR_CREATE, S.ENTER_EMAIL, S.ENTER_PASSWORD}


def extend(table: dict, revisitable: set | frozenset = frozenset()) -> None:
    """Add a flow's states and events. A state may gain events; an event may not be redefined."""
    for state, events in table.items():
        current = TRANSITIONS.setdefault(str(state), {})
        for event, options in events.items():
            if str(event) in current:
                raise ValueError(f"{event} in {state} is defined twice")
            current[str(event)] = options
    REVISITABLE.update(str(s) for s in revisitable)


class IllegalTransition(Exception):
    pass


def next_state(journey, event: str) -> str:
    options = TRANSITIONS[journey.state].get(str(event))
    if not options:
        raise IllegalTransition(f"{event} is not allowed in {journey.state}")
    for guard, target in options:
        if guard is None or guard(journey):
            return target
    raise IllegalTransition(f"no guard matched {event} in {journey.state}")
