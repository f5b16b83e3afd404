"""The journey as one table: state → event → [(guard, next state)], and everything else that
decides a flow.

- `TRANSITIONS`: where each event leads, with guards read from the journey's facts.
- `PROVES`: what an event proves. `Journey.fire` binds those facts to the account the journey
  is for at that moment; a page never sets a fact itself.
- `REQUIRES`: each page's precondition. A page whose precondition fails is not shown (the
  "start again" page), so no page trusts the path that led to it.
- `LINKS`: the navigation links ("use another method", "I've forgotten my password"): a GET of
  the target page fires the event when the journey is at the state the link is shown on.
- `REVISITABLE`: pages the browser's back button may return to; `RESTARTS` among them forget
  the account and everything proven for it.
- The entry (`State.START` --BEGIN-->) and the failed-reauthentication exit
  (`State.LOGIN_REQUIRED`) are rows like any other.

The sign-in flow is defined here. The other flows (journeys/flows/) add their rows with
`extend`; the merged table is still one table, and tests/unit/test_machine.py checks it: every
state is reachable and can reach an end, and no path reaches a code without the facts its level
needs, bound to the account it is issued for.
"""

from __future__ import annotations

from collections.abc import Callable

from govsignin.journeys.states import Event, Fact, State

Guard = Callable[["Journey"], bool]  # noqa: F821


# --- Guards: read only facts bound to the journey's current account -----------------------------

def needs_second_factor(j) -> bool:
    return j.request["credential_level"] == "Cl.Cm" and not j.second_factor_verified


def has_auth_app(j) -> bool:
    return j.mfa_kind == "auth_app"


def needs_auth_app_code(j) -> bool:
    return needs_second_factor(j) and has_auth_app(j)


def needs_sms_code(j) -> bool:
    return needs_second_factor(j) and j.mfa_kind == "sms"


def no_second_factor(j) -> bool:
    """The account has no second factor at all (imported without one): prepare_for_user says so
    from the database, and the page that writes the first factor takes it away."""
    return bool(j.data.get("no_second_factor"))


def needs_factor_setup(j) -> bool:
    """A Cl.Cm request, the password proven, and no factor to ask for: set one up now."""
    return needs_second_factor(j) and j.password_verified and no_second_factor(j)


def setting_up_factor(j) -> bool:
    return j.password_verified and no_second_factor(j)


def mfa_reset_ready(j) -> bool:  # a lost-factor waiting period has passed: set a new method
    return bool(j.data.get("mfa_reset_ready")) and j.password_verified


def reauthenticating(j) -> bool:
    return bool(j.reauth)


def uplift(j) -> bool:
    """Signed in at Cl in this browser session, now asked for Cl.Cm: only the second factor."""
    return j.password_verified and not j.reauth and needs_second_factor(j)


def signed_in_enough(j) -> bool:
    return level_met(j) and not j.reauth


def uplift_setup(j) -> bool:
    return uplift(j) and no_second_factor(j)


def uplift_auth_app(j) -> bool:
    return uplift(j) and has_auth_app(j)


def uplift_sms(j) -> bool:
    return uplift(j) and j.mfa_kind == "sms"


def reauthenticating_known_account(j) -> bool:
    return j.reauth and j.user_id is not None


def has_email(j) -> bool:
    return bool(j.email)


def password_verified(j) -> bool:
    return j.password_verified


def email_unconfirmed(j) -> bool:
    """An imported account whose old system had not verified its address, not yet proven in this
    journey (a code to the address at sign-in, or a password reset's, proves it)."""
    return (bool(j.data.get("email_unverified")) and not j.fact(Fact.ACCOUNT_EMAIL)
            and not j.fact(Fact.RESET_EMAIL))


def confirming_email(j) -> bool:
    return j.password_verified and bool(j.data.get("email_unverified"))


def level_met(j) -> bool:
    return j.password_verified and not needs_second_factor(j) and not email_unconfirmed(j)


def link_pending(j) -> bool:
    """The service asked to link its old account (journeys/flows/legacy_link.py), and the citizen
    has not answered for the journey's account yet."""
    return bool(j.request.get("link_legacy_id")) and not j.fact(Fact.LINK_ANSWERED)


def may_finish(j) -> bool:
    return level_met(j) and not link_pending(j)


def both_factors(j) -> bool:
    return j.password_verified and j.second_factor_verified


def reset_email_verified(j) -> bool:
    return j.fact(Fact.RESET_EMAIL)


def reset_second_factor_done(j) -> bool:
    """A reset needs the second factor too, where the account has one to give."""
    return reset_email_verified(j) and (not j.data.get("methods") or j.second_factor_verified)


def may_change_codes(j) -> bool:
    return j.password_verified and (j.second_factor_verified or mfa_reset_ready(j))


S, E = State, Event

# Where a proven password leads (and a confirmed address, for an account that needed one).
AFTER_PASSWORD = [
    (mfa_reset_ready, S.CHANGE_CODES),
    (needs_auth_app_code, S.ENTER_AUTH_APP_CODE),
    (needs_sms_code, S.ENTER_SMS_CODE),
    (needs_factor_setup, S.GET_SECURITY_CODES),  # account creation's pages, for this account
    (needs_second_factor, S.SECOND_FACTOR_NEEDED),
    (None, S.AUTH_CODE),
]

TRANSITIONS: dict[State, dict[Event, list[tuple[Guard | None, State]]]] = {
    S.START: {
        E.BEGIN: [
            (signed_in_enough, S.AUTH_CODE),
            (uplift_auth_app, S.ENTER_AUTH_APP_CODE),
            (uplift_sms, S.ENTER_SMS_CODE),
            (uplift_setup, S.GET_SECURITY_CODES),
            (uplift, S.SECOND_FACTOR_NEEDED),
            (reauthenticating_known_account, S.ENTER_PASSWORD),
            (reauthenticating, S.ENTER_EMAIL),
            (None, S.SIGN_IN_OR_CREATE),
        ],
    },
    S.SIGN_IN_OR_CREATE: {E.SIGN_IN_CHOSEN: [(None, S.ENTER_EMAIL)]},
    S.ENTER_EMAIL: {
        # Whatever the email (an account with a passkey, one without, none): the same next page.
        E.EMAIL_ENTERED: [(None, S.ENTER_PASSWORD)],
        E.PASSKEY_VERIFIED: [(email_unconfirmed, S.CONFIRM_EMAIL), (None, S.AUTH_CODE)],
        E.EMAIL_BLOCKED: [(None, S.ACCOUNT_LOCKED)],
    },
    S.ENTER_PASSWORD: {
        # An address the old system never verified is confirmed first (docs/migration.md).
        E.CREDENTIALS_VALIDATED: [(email_unconfirmed, S.CONFIRM_EMAIL), *AFTER_PASSWORD],
        # One Login: a failed reauthentication is login_required, not the block page.
        E.PASSWORD_LOCKED: [(reauthenticating, S.LOGIN_REQUIRED), (None, S.ACCOUNT_LOCKED)],
    },
    S.ENTER_AUTH_APP_CODE: {
        E.MFA_CODE_VERIFIED: [(None, S.AUTH_CODE)],
        E.CODE_LOCKED: [(reauthenticating, S.LOGIN_REQUIRED), (None, S.SECURITY_CODE_LOCKED)],
    },
    S.CONFIRM_EMAIL: {
        E.ACCOUNT_EMAIL_CONFIRMED: AFTER_PASSWORD,
        # Dead ends, not the second factor's block page: its way on (the lost-factor route) would
        # pass by this page.
        E.CODE_ENTRY_BLOCKED: [(None, S.CODE_ENTERED_TOO_MANY)],
        E.CODE_REQUESTS_BLOCKED: [(None, S.CODE_REQUESTED_TOO_MANY)],
    },
    S.SECOND_FACTOR_NEEDED: {},
    S.ACCOUNT_LOCKED: {},
    S.SECURITY_CODE_LOCKED: {},
    S.LOGIN_REQUIRED: {},
    S.AUTH_CODE: {},
}

# What each event proves, bound by Journey.fire to the account the journey is for.
PROVES: dict[Event, frozenset[Fact]] = {
    E.CREDENTIALS_VALIDATED: frozenset({Fact.PASSWORD}),
    E.PASSKEY_VERIFIED: frozenset({Fact.PASSWORD, Fact.SECOND_FACTOR}),
    E.MFA_CODE_VERIFIED: frozenset({Fact.SECOND_FACTOR}),
    E.ACCOUNT_EMAIL_CONFIRMED: frozenset({Fact.ACCOUNT_EMAIL}),
}

# Each page's precondition (a page not listed needs only to be where the journey is).
REQUIRES: dict[State, Guard] = {
    S.ENTER_PASSWORD: has_email,
    S.ENTER_AUTH_APP_CODE: password_verified,
    S.ENTER_SMS_CODE: password_verified,
    S.SECOND_FACTOR_NEEDED: password_verified,
    S.CONFIRM_EMAIL: confirming_email,
    S.AUTH_CODE: may_finish,
}

# Navigation links: target page → {state the link is shown on: event a GET of the target fires}.
LINKS: dict[State, dict[State, Event]] = {}

# States a citizen may go back to with the browser's back button (they only re-ask).
REVISITABLE: set[State] = {S.SIGN_IN_OR_CREATE, S.ENTER_EMAIL, S.ENTER_PASSWORD}
# Going back to one of these starts over: the account and every fact proven for it are forgotten.
RESTARTS: frozenset[State] = frozenset({S.SIGN_IN_OR_CREATE, S.ENTER_EMAIL, S.ENTER_EMAIL_CREATE})

# Where a journey ends: the code (or the account pages), or a page with no way on.
ENDS: frozenset[State] = frozenset({S.AUTH_CODE, S.LOGIN_REQUIRED})


def extend(
    table: dict,
    revisitable: set | frozenset = frozenset(),
    *,
    proves: dict | None = None,
    requires: dict | None = None,
    links: dict | None = None,
) -> None:
    """Add a flow's rows. A state may gain events; an event may not be redefined in a state."""
    for state, events in table.items():
        current = TRANSITIONS.setdefault(State(state), {})
        for event, options in events.items():
            event = Event(event)
            if event in current:
                raise ValueError(f"{event} in {state} is defined twice")
            current[event] = [(guard, State(target)) for guard, target in options]
    REVISITABLE.update(State(s) for s in revisitable)
    for event, facts in (proves or {}).items():
        if PROVES.get(Event(event), facts) != facts:
            raise ValueError(f"{event} proves different facts in two flows")
        PROVES[Event(event)] = frozenset(facts)
    for state, guard in (requires or {}).items():
        if State(state) in REQUIRES:
            raise ValueError(f"{state} has two preconditions")
        REQUIRES[State(state)] = guard
    for target, sources in (links or {}).items():
        LINKS.setdefault(State(target), {}).update({State(s): Event(e) for s, e in sources.items()})


class IllegalTransition(Exception):
    pass


def next_state(journey, event: Event) -> State:
    options = TRANSITIONS[State(journey.state)].get(Event(event))
    if not options:
        raise IllegalTransition(f"{event} is not allowed in {journey.state}")
    for guard, target in options:
        if guard is None or guard(journey):
            return target
    raise IllegalTransition(f"no guard matched {event} in {journey.state}")


def precondition_met(journey, page: State) -> bool:
    guard = REQUIRES.get(State(page))
    return guard is None or guard(journey)


def link_event(journey, page: State) -> Event | None:
    """The event a GET of `page` fires as a link from where the journey is, if it is one."""
    return LINKS.get(State(page), {}).get(State(journey.state))
