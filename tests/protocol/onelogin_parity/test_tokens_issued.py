"""The tokens /token returns, as One Login makes them (simulator:
src/components/token/tests/helper/create-id-token.test.ts, create-access-token.test.ts,
tests/integration/token-controller.test.ts). One Login's access token is a signed JWT and ours
is opaque (docs/architecture.md); services treat it as opaque either way. The "configured
error" cases are the simulator's own test switches, not One Login behaviour."""

import pytest

from tests.support.rp import TestRP, code_for, make_citizen


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_the_id_token_has_one_logins_claims_and_is_signed_with_the_services_alg(client, services, alg):
    rp = await TestRP.create(services, id_token_alg=alg)
    code, params = await code_for(client, rp, await make_citizen(services))
    body = (await rp.token(client, code)).json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 180
    token = await rp.verify_id_token(client, body["id_token"])
    assert token["header"]["alg"] == alg and token["header"]["kid"]
    claims = token["claims"]
    assert set(claims) == {"iss", "sub", "aud", "exp", "iat", "nonce", "at_hash", "sid", "vot", "vtm", "auth_time"}
    assert claims["iss"] == services.settings.issuer_url() and claims["aud"] == rp.client_id
    assert claims["exp"] - claims["iat"] == 120
    assert claims["nonce"] == params["nonce"] and claims["vot"] == "Cl.Cm"
    assert claims["vtm"] == services.settings.endpoint("/trustmark")
