"""The authorization code flow end to end, in process: authorize → pages → token → userinfo."""

from govsignin.oidc.signing import at_hash
from tests.support.rp import TestRP, code_for, make_citizen


async def test_a_citizen_signs_in_and_the_service_gets_a_valid_id_token_and_userinfo(client, services, settings):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)

    code, params = await code_for(client, rp, citizen)
    response = await rp.token(client, code)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 180
    token = await rp.verify_id_token(client, body["id_token"])
    claims = token["claims"]
    assert token["header"]["alg"] == "ES256" and token["header"]["kid"]
    assert claims["iss"] == settings.issuer_url()
    assert claims["aud"] == rp.client_id
    assert claims["nonce"] == params["nonce"]
    assert claims["vot"] == "Cl.Cm"
    assert claims["vtm"] == settings.endpoint("/trustmark")
    assert claims["exp"] - claims["iat"] == 120
    assert claims["at_hash"] == at_hash(body["access_token"])
    assert claims["sub"].startswith("urn:fdc:gov.uk:2022:") and len(claims["sub"]) == len("urn:fdc:gov.uk:2022:") + 43
    assert {"sid", "auth_time"} <= claims.keys()

    info = await client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    assert info.json() == {
        "sub": claims["sub"], "email": citizen.email, "email_verified": True, "phone_number_verified": False,
    }


async def test_rs256_services_get_rs256_id_tokens(client, services):
    rp = await TestRP.create(services, alg="RS256", id_token_alg="RS256")
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    body = (await rp.token(client, code)).json()
    token = await rp.verify_id_token(client, body["id_token"])
    assert token["header"]["alg"] == "RS256"


async def test_cl_skips_the_second_factor_and_vot_says_cl(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen, vtr='["Cl"]')
    body = (await rp.token(client, code)).json()
    assert (await rp.verify_id_token(client, body["id_token"]))["claims"]["vot"] == "Cl"
