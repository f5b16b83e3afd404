"""The journey's transition table is closed: every target has a page, every state is reachable."""

from starlette.routing import Route

from govsignin.journeys.machine import TRANSITIONS
from govsignin.journeys.routes import journey_routes


def test_every_target_state_is_a_state_with_a_route():
    paths = {r.path.lstrip("/") for r in journey_routes() if isinstance(r, Route)}
    for state, events in TRANSITIONS.items():
        assert state in paths, f"state {state} has no page"
        for event, options in events.items():
            assert options, f"{state} --{event}--> nowhere"
            for _guard, target in options:
                assert str(target) in TRANSITIONS, f"{state} --{event}--> unknown {target}"
            assert options[-1][0] is None, f"{state} --{event}: the last option must be unguarded"
