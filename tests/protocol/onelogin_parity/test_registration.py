"""Registering redirect URIs as One Login allows them (simulator:
src/validators/tests/validate-redirectUri.test.ts): a URI whose query already holds a parameter
of the authorization response is refused, so a code can never be sent to it."""

import pytest

from govsignin.onboarding.registration import Registration, RegistrationError, register
from tests.support.rp import TestRP


async def test_a_legal_redirect_uri_is_registered(services):
    rp = await TestRP.create(services, redirect_uris=["https://legal-parity.example.gov.uk/callback?tab=1"])
    assert rp.registration["redirect_uris"] == ["https://legal-parity.example.gov.uk/callback?tab=1"]


@pytest.mark.parametrize("scheme", ["javascript", "data", "vbscript"])
async def test_a_prohibited_scheme_is_refused(services, scheme):
    with pytest.raises(RegistrationError):
        await register(services, Registration(name="x", redirect_uris=[f"{scheme}://alert(1)"], secret=True))


@pytest.mark.parametrize("name", ["code", "state", "error", "response"])
async def test_a_redirect_uri_whose_query_holds_a_response_parameter_is_refused(services, name):
    uri = f"https://prohibited-parity.example.gov.uk/callback?{name}=x"
    with pytest.raises(RegistrationError, match=name):
        await register(services, Registration(name="x", redirect_uris=[uri], secret=True))
