""""Link your old account": a service registered with a legacy system sent, in a signed request
object, the id of the account signed in to its old system (oidc/authorize/checks/
check_legacy_link.py, `request["link_legacy_id"]`). Once the citizen has signed in at the level
asked, and before the code, they confirm or decline "Link your <service> account":

    … → link-your-account → auth-code

Every way into auth-code passes by link-your-account while the link is unanswered for the
journey's account (`machine.link_pending`): `route_codes_through_link_page` puts that option in
front of each of the table's auth-code options, once every flow has added its rows. Either
answer proves Fact.LINK_ANSWERED, bound to the account. Pages: journeys/pages/legacy_link.py.
"""

from __future__ import annotations

from govsignin.journeys.machine import TRANSITIONS, extend, level_met, link_pending
from govsignin.journeys.states import Event, Fact, State

S, E = State, Event


def _requested(j) -> bool:
    return level_met(j) and bool(j.request.get("link_legacy_id"))


def _and_pending(guard):
    if guard is None:
        return link_pending

    def both(j) -> bool:
        return guard(j) and link_pending(j)

    both.__name__ = f"{guard.__name__}_and_link_pending"
    return both


def route_codes_through_link_page() -> None:
    for state, events in TRANSITIONS.items():
        if state == S.LINK_ACCOUNT:
            continue
        for event, options in events.items():
            if any(target == S.LINK_ACCOUNT for _, target in options):
                continue  # done already
            routed = []
            for guard, target in options:
                if target == S.AUTH_CODE:
                    routed.append((_and_pending(guard), S.LINK_ACCOUNT))
                routed.append((guard, target))
            events[event] = routed


extend(
    {
        S.LINK_ACCOUNT: {
            E.LINK_CONFIRMED: [(None, S.AUTH_CODE)],
            E.LINK_DECLINED: [(None, S.AUTH_CODE)],
        },
    },
    proves={E.LINK_CONFIRMED: {Fact.LINK_ANSWERED}, E.LINK_DECLINED: {Fact.LINK_ANSWERED}},
    requires={S.LINK_ACCOUNT: _requested},
)
