"""Vectors of trust as One Login reads them (simulator: src/validators/tests/vtr-validator.test.ts).
The cases about which identity levels a client may ask for are identity cases, added with
identity proving."""

import pytest

from tests.protocol.onelogin_parity.support import authorize, begins_a_journey, redirected_error
from tests.support.rp import TestRP, make_citizen, redirect_params, sign_in

NOT_VALID = {"error": "invalid_request", "error_description": "Request vtr not valid"}


@pytest.fixture
async def rp(services):
    return await TestRP.create(services)


async def refused(client, rp, vtr: str) -> bool:
    params = rp.authorize_params(vtr=vtr)
    got = redirected_error(await authorize(client, params), rp)
    return got == {**NOT_VALID, "state": params["state"]}


async def test_no_vtr_means_the_default_cl_cm(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(vtr=None)))


async def test_an_empty_vtr_means_the_default_cl_cm(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(vtr="")))


async def test_an_empty_list_means_the_default_cl_cm(client, services, rp):
    citizen = await make_citizen(services)
    assert begins_a_journey(await authorize(client, rp.authorize_params(vtr="[]")))
    final = await sign_in(client, citizen, mfa=True)  # asserts the second factor is asked for
    assert "code" in redirect_params(final)


async def test_more_than_one_identity_component_is_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.Cm.P1.P2"]')


async def test_unknown_components_are_ignored(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(vtr='["Cl.Cm.Xy"]')))


async def test_an_unsupported_credential_trust_value_is_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.Cm.Ch"]')


async def test_an_invalid_level_of_confidence_is_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.Cm.P5"]')


async def test_p2_with_only_cl_is_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.P2"]')


async def test_p1_with_only_cl_is_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.P1"]')


async def test_identity_and_non_identity_vectors_together_are_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.Cm.P2","Cl.Cm"]')


async def test_an_invalid_json_array_is_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.Cm"')


async def test_identity_with_an_explicit_p0_vector_is_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.Cm.P0","Cl.Cm.P2"]')


async def test_identity_with_an_implicit_non_identity_vector_is_not_valid(client, rp):
    assert await refused(client, rp, '["Cl.Cm","Cl.Cm.P2"]')


async def test_p0_is_allowed_with_any_credential_trust(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(vtr='["Cl.P0"]')))


async def test_a_vector_without_a_level_of_confidence_is_allowed(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(vtr='["Cl"]')))
