"""Fixtures for the property tests.

`http` is the suite's in-process client, except that an unhandled exception comes back as the
500 the app would really send (raise_app_exceptions=False), so a property can say "never 5xx"
and Hypothesis can shrink the input that broke it.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, settings as hsettings

from tests.support.rp import TestRP, make_citizen


@pytest.fixture
async def http(app, settings):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer_url()) as c:
        yield c


class PropertyRP(TestRP):
    """TestRP with a short repr, so Hypothesis' failure reports stay readable."""

    def __repr__(self):
        return f"TestRP(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))


@pytest.fixture(scope="module")
async def rp(services):
    return await PropertyRP.create(services)


@pytest.fixture(scope="module")
async def other_rp(services):
    return await PropertyRP.create(services)


@pytest.fixture(scope="module")
async def citizen(services):
    return await make_citizen(services)



# The journey state machine's runs (test_journey_state_machine.py): a bounded one for the normal
# suite, and GOVSIGNIN_HYPOTHESIS_PROFILE=long for 10,000 examples (docs/testing.md).
_JOURNEY = dict(
    deadline=None,
    database=None,
    stateful_step_count=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
# Bounded: 100 random examples (~40 s on two shared cores). On the journey whose facts were not
# bound to their account it found the second-factor bypass in about 4 runs out of 5 (a run
# explores about 1 example in 70 that reaches it); the long profile explores far more.
hsettings.register_profile("journey-bounded", max_examples=100, **_JOURNEY)
hsettings.register_profile("long", max_examples=10_000, **_JOURNEY)
