"""The journey's table checks out as a whole: every target has a page, every state is reachable
and can reach an end, and no path reaches a page whose precondition fails, above all the code
(`auth-code`) without the facts its level needs, bound to the account it is for.

The last check explores the table itself: from every kind of start (fresh, signed in at Cl,
reauthentication; asking Cl or Cl.Cm; each kind of second factor), it fires every event the
table allows, follows the links and the back button, and identifies the journey's account where
the pages do (the email page, the passkey, account creation) as the citizen's own account, the
victim's, a new one or none. Facts bound to another account must never count.
"""

from collections import deque
from copy import deepcopy

import pytest
from starlette.routing import Route

from govsignin.journeys.journey import Journey
from govsignin.journeys.machine import ENDS, IllegalTransition, LINKS, REQUIRES, REVISITABLE, TRANSITIONS, precondition_met
from govsignin.journeys.routes import journey_routes
from govsignin.journeys.states import Event, Fact, State

# Events a page fires right after naming the account (pages/sign_in.py enter_email,
# passkey_sign_in.py, create_account.py enter_email_create and _create), with who it may be.
IDENTIFIES = {
    Event.EMAIL_ENTERED: ("attacker", "victim", None),
    Event.EMAIL_BLOCKED: ("attacker", "victim"),
    Event.PASSKEY_VERIFIED: ("attacker",),  # only the attacker's own passkey verifies
    Event.EMAIL_CODE_SENT: (None,),
    Event.CODE_ENTRY_BLOCKED: (None,),
    Event.ACCOUNT_WRITTEN: ("new",),
}
# What account creation's pages record in journey.data["create"] before they fire each event.
CREATE_RECORDS = {
    Event.EMAIL_CODE_SENT: ("email",),
    Event.EMAIL_VERIFIED: ("email_verified",),
    Event.PASSWORD_CREATED: ("password_hash",),
    Event.PHONE_CODE_SENT: ("phone",),
    Event.ACCOUNT_WRITTEN: ("email", "done"),
}
# What the attacker can prove: everything for their own and a new account; only the password
# (and codes sent to their own mailbox) for the victim.
ATTACKER_CANNOT = {("victim", Fact.SECOND_FACTOR), ("victim", Fact.ACCOUNT_EMAIL)}
# The accounts a page may name: (second factor kind, methods, lost-factor reset ready, imported
# with an unverified address).
ACCOUNT_KINDS = (
    ("auth_app", ("auth_app",), False, False),
    ("sms", ("sms", "recovery_code"), False, False),
    ("passkey", ("passkey",), False, False),
    ("auth_app", ("auth_app",), True, False),
    ("auth_app", ("auth_app",), False, True),
    ("passkey", ("passkey",), False, True),
    (None, (), False, False),  # imported without a second factor
    (None, (), False, True),
)


def _all_states():
    return set(TRANSITIONS)


def test_every_target_state_is_a_state_with_a_route():
    paths = {r.path.lstrip("/") for r in journey_routes() if isinstance(r, Route)}
    for state, events in TRANSITIONS.items():
        assert state == State.START or str(state) in paths, f"state {state} has no page"
        for event, options in events.items():
            assert isinstance(event, Event) and options, f"{state} --{event}--> nowhere"
            for _guard, target in options:
                assert isinstance(target, State) and target in TRANSITIONS, f"{state} --{event}--> unknown {target}"
            assert options[-1][0] is None, f"{state} --{event}: the last option must be unguarded"
    for table in (REQUIRES, LINKS):
        for state in table:
            assert state in TRANSITIONS, f"{state} is not a state"


def _edges() -> dict[State, set[State]]:
    edges: dict[State, set[State]] = {s: set() for s in TRANSITIONS}
    for state, events in TRANSITIONS.items():
        for options in events.values():
            edges[state].update(target for _, target in options)
    for target, sources in LINKS.items():
        for source in sources:
            edges[source].add(target)
    return edges


def test_every_state_is_reachable_from_the_start():
    edges, seen, todo = _edges(), {State.START}, [State.START]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert _all_states() - seen == set()


def test_every_state_can_reach_an_end():
    """An end is the code, login_required, or a page with nothing to do but read it."""
    edges = _edges()
    ends = {s for s in TRANSITIONS if not TRANSITIONS[s]} | set(ENDS)
    for state in TRANSITIONS:
        seen, todo = {state}, [state]
        while todo and not (seen & ends):
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen & ends, f"{state} cannot reach an end"


def _start(level: str, kind: str | None, session: str, methods: tuple[str, ...], link: bool = False) -> Journey:
    request = {"credential_level": level, **({"link_legacy_id": "old-1"} if link else {})}
    journey = Journey(id="j", request=request, state=State.START)
    journey.reauth = session == "reauth"
    if session in ("Cl", "Cl.Cm", "reauth"):  # a session signed in as the attacker (begin.py)
        journey.identify("attacker", "a@example.com", kind)
        journey.data["methods"] = list(methods)
        if not methods:
            journey.data["no_second_factor"] = True
        if session != "reauth":
            journey.grant(Fact.PASSWORD)
        if session in ("Cl.Cm", "reauth"):
            journey.grant(Fact.SECOND_FACTOR)
    journey.fire(Event.BEGIN)
    journey.history = [journey.state]
    return journey


def _key(j: Journey):
    return (j.state, j.user_id, tuple(sorted(j.facts.items())), tuple(sorted(set(j.history))), j.mfa_kind,
            tuple(sorted(j.data.get("create", {}))),
            tuple(j.data.get("methods", ())), bool(j.data.get("mfa_reset_ready")), bool(j.data.get("changing_mfa")),
            bool(j.data.get("email_unverified")), bool(j.data.get("no_second_factor")))


def _moves(j: Journey):
    """Every next journey the citizen can make from `j`."""
    for event in TRANSITIONS[State(j.state)]:
        for who in IDENTIFIES.get(event, (j.user_id,)):
            for kind, methods, ready, unverified in ACCOUNT_KINDS:
                nxt = deepcopy(j)
                if event in IDENTIFIES:
                    nxt.identify(who, f"{who}@example.com" if who else "x@example.com", kind if who else None)
                    if who:
                        nxt.data["methods"] = list(methods)
                        if ready:
                            nxt.data["mfa_reset_ready"] = True
                        if unverified and who != "new":  # imported with an address never verified
                            nxt.data["email_unverified"] = True
                        if not methods and who != "new":  # imported without a second factor
                            nxt.data["no_second_factor"] = True
                elif (kind, methods, ready, unverified) != ACCOUNT_KINDS[0]:
                    continue  # the account's methods only change when the account does
                if any(nxt.user_id == who and fact in (PROVES_OF(event)) for who, fact in ATTACKER_CANNOT):
                    continue
                for key in CREATE_RECORDS.get(event, ()):
                    nxt.data.setdefault("create", {})[key] = True
                if event == Event.RECOVERY_CODE_CHOSEN and State(j.state) == State.LOST_START:
                    nxt.data["changing_mfa"] = True
                if PROVES_OF(event) and nxt.user_id is None:
                    with pytest.raises(IllegalTransition):  # nothing is proven for no account
                        nxt.fire(event)
                    continue
                nxt.fire(event)
                yield nxt
    for target, sources in LINKS.items():  # noqa: B007
        if State(j.state) in sources:
            nxt = deepcopy(j)
            nxt.fire(sources[State(j.state)])
            yield nxt
    for page in REVISITABLE:
        if str(page) in j.history and str(page) != j.state and precondition_met(j, page):  # as open_page
            nxt = deepcopy(j)
            nxt.rewind_to(page)
            yield nxt


def PROVES_OF(event):  # noqa: N802
    from govsignin.journeys.machine import PROVES

    return PROVES.get(event, frozenset())


STARTS = [
    (level, kind, session, methods, False)
    for level in ("Cl", "Cl.Cm")
    for kind, methods in (("auth_app", ("auth_app",)), ("sms", ("sms",)), ("passkey", ("passkey",)), (None, ()))
    for session in ("none", "Cl", "Cl.Cm", "reauth")
] + [  # a service asking to link its old account ("link your old account")
    (level, "auth_app", session, ("auth_app",), True)
    for level in ("Cl", "Cl.Cm")
    for session in ("none", "Cl", "Cl.Cm", "reauth")
]


@pytest.mark.parametrize("level,kind,session,methods,link", STARTS)
def test_no_path_reaches_a_page_without_its_precondition_nor_a_code_without_bound_facts(level, kind, session, methods, link):
    first = _start(level, kind, session, methods, link)
    seen, todo, depth = {_key(first)}, deque([(first, 0)]), 14
    while todo:
        journey, steps = todo.popleft()
        state = State(journey.state)
        assert precondition_met(journey, state), f"{state} reached without its precondition: {journey.history}"
        if state == State.AUTH_CODE:
            assert journey.password_verified, journey.history
            assert level == "Cl" or journey.second_factor_verified, journey.history
            assert journey.facts[str(Fact.PASSWORD)] == journey.user_id
            assert journey.user_id != "victim" or level == "Cl", f"a Cl.Cm code for the victim: {journey.history}"
            assert not link or journey.facts.get(str(Fact.LINK_ANSWERED)) == journey.user_id, journey.history
        if steps == depth:
            continue
        for nxt in _moves(journey):
            if _key(nxt) not in seen:
                seen.add(_key(nxt))
                todo.append((nxt, steps + 1))


def test_a_fact_counts_only_for_the_account_it_was_proven_for():
    journey = Journey(id="j", request={"credential_level": "Cl.Cm"}, state=State.ENTER_EMAIL)
    journey.identify("attacker", "a@example.com", "auth_app")
    journey.grant(Fact.PASSWORD, Fact.SECOND_FACTOR, method="auth_app")
    assert journey.level == "Cl.Cm"
    journey.identify("victim", "v@example.com", "auth_app")
    assert journey.facts == {} and journey.level is None and journey.second_factor_method is None
    journey.facts = {"password": "attacker", "second_factor": "attacker"}  # even if left behind
    assert not journey.password_verified and not journey.second_factor_verified


def test_going_back_to_the_start_forgets_the_account_and_its_values():
    journey = Journey(id="j", request={"credential_level": "Cl.Cm"}, state=State.START,
                      data={"destination": "account", "return_to": "/account"})
    journey.fire(Event.BEGIN)
    journey.history = [journey.state]
    journey.fire(Event.SIGN_IN_CHOSEN)
    journey.identify("attacker", "a@example.com", "auth_app")
    journey.data["methods"] = ["auth_app"]
    journey.fire(Event.EMAIL_ENTERED)
    journey.fire(Event.CREDENTIALS_VALIDATED)
    journey.rewind_to(State.ENTER_EMAIL)
    assert journey.user_id is None and journey.facts == {}
    assert journey.data == {"destination": "account", "return_to": "/account"}
