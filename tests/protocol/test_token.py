"""/token: client authentication tolerances (contracts.md), single-use codes, PKCE, errors."""

import time

import pytest

from tests.support.rp import TestRP, code_for, make_citizen, pkce_pair


@pytest.fixture
async def rp(services):
    return await TestRP.create(services)


@pytest.fixture
async def citizen(services):
    return await make_citizen(services)


def error_of(response):
    assert response.status_code == 400, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def test_a_replayed_code_is_refused_and_revokes_the_access_token_it_issued(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    first = await rp.token(client, code)
    access_token = first.json()["access_token"]
    auth = {"Authorization": f"Bearer {access_token}"}
    assert (await client.get("/userinfo", headers=auth)).status_code == 200

    assert error_of(await rp.token(client, code))["error"] == "invalid_grant"
    revoked = await client.get("/userinfo", headers=auth)
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]


async def test_the_assertion_may_name_the_issuer_as_audience(client, rp, citizen, settings):
    code, _ = await code_for(client, rp, citizen)
    response = await rp.token(client, code, client_assertion=rp.assertion(aud=settings.issuer_url()))
    assert response.status_code == 200


async def test_client_id_may_be_in_the_form_or_only_in_the_assertion(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    assert (await rp.token(client, code, client_id=rp.client_id)).status_code == 200
    code, _ = await code_for(client, rp, citizen)
    # A form client_id that is not the assertion's sub is a malformed request, as One Login says.
    body = error_of(await rp.token(client, code, client_id="someone-else"))
    assert body == {"error": "invalid_request", "error_description": "Invalid private_key_jwt"}


async def test_an_assertion_without_kid_is_accepted(client, rp, citizen):
    from joserfc import jwt

    code, _ = await code_for(client, rp, citizen)
    claims = {"iss": rp.client_id, "sub": rp.client_id, "aud": rp.settings.endpoint("/token"),
              "exp": int(time.time()) + 60, "jti": "no-kid-1"}
    assertion = jwt.encode({"alg": "ES256"}, claims, rp.key)
    assert (await rp.token(client, code, client_assertion=assertion)).status_code == 200


async def test_assertion_lifetimes_up_to_60_minutes_are_accepted_and_longer_refused(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    assert (await rp.token(client, code, client_assertion=rp.assertion(lifetime=3600))).status_code == 200
    code, _ = await code_for(client, rp, citizen)
    assert error_of(await rp.token(client, code, client_assertion=rp.assertion(lifetime=7200)))["error"] == "invalid_client"


async def test_every_jti_is_used_once(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    assertion = rp.assertion(jti="only-once")
    assert (await rp.token(client, code, client_assertion=assertion)).status_code == 200
    code, _ = await code_for(client, rp, citizen)
    body = error_of(await rp.token(client, code, client_assertion=assertion))
    assert body["error"] == "invalid_client" and "jti" in body["error_description"]


async def test_expired_assertions_are_invalid_grant_as_one_login_says(client, rp, citizen):
    now = int(time.time())
    code, _ = await code_for(client, rp, citizen)
    body = error_of(await rp.token(client, code, client_assertion=rp.assertion(iat=now - 600, exp=now - 300)))
    assert body == {"error": "invalid_grant", "error_description": "private_key_jwt has expired"}


async def test_assertions_signed_by_another_key_or_for_another_audience_are_invalid_client(client, rp, services, citizen):
    other = await TestRP.create(services)
    code, _ = await code_for(client, rp, citizen)
    forged = other.assertion(iss=rp.client_id, sub=rp.client_id)
    body = error_of(await rp.token(client, code, client_assertion=forged))
    assert body == {"error": "invalid_client", "error_description": "Invalid signature in private_key_jwt"}
    body = error_of(await rp.token(client, code, client_assertion=rp.assertion(aud="https://elsewhere.example/token")))
    assert body["error"] == "invalid_client"


async def test_another_services_code_is_invalid_grant(client, rp, services, citizen):
    other = await TestRP.create(services)
    code, _ = await code_for(client, rp, citizen)
    form = other.token_form(code, redirect_uri=rp.redirect_uri)
    assert error_of(await client.post("/token", data=form))["error"] == "invalid_grant"


async def test_redirect_uri_must_match_the_authorize_request(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    body = error_of(await rp.token(client, code, redirect_uri=rp.redirect_uri + "/other"))
    assert body["error"] == "invalid_grant"


async def test_pkce_verifier_must_match(client, services, citizen):
    rp = await TestRP.create(services, require_pkce=True)
    verifier, challenge = pkce_pair()
    code, _ = await code_for(client, rp, citizen, code_challenge=challenge, code_challenge_method="S256")
    body = error_of(await rp.token(client, code, code_verifier=pkce_pair()[0]))
    assert body == {"error": "invalid_grant", "error_description": "PKCE code verification failed"}
    code, _ = await code_for(client, rp, citizen, code_challenge=challenge, code_challenge_method="S256")
    assert error_of(await rp.token(client, code))["error"] == "invalid_grant"  # verifier missing
    code, _ = await code_for(client, rp, citizen, code_challenge=challenge, code_challenge_method="S256")
    assert (await rp.token(client, code, code_verifier=verifier)).status_code == 200


async def test_a_verifier_without_a_challenge_is_refused(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    assert error_of(await rp.token(client, code, code_verifier=pkce_pair()[0]))["error"] == "invalid_grant"


async def test_codes_expire_after_300_seconds(client, rp, citizen, services, monkeypatch):
    import govsignin.store.database as db_store

    code, _ = await code_for(client, rp, citizen)
    real = time.time
    monkeypatch.setattr(db_store.time, "time", lambda: real() + 301)
    if services.settings.redis_url:
        pytest.skip("Redis expires keys itself")
    assert error_of(await rp.token(client, code))["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": None}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"code": None}, "invalid_request"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"code": "made-up"}, "invalid_grant"),
        ({"client_assertion_type": "urn:other"}, "invalid_request"),
        ({"client_assertion": "not.a.jwt"}, "invalid_request"),
        ({"client_assertion": None, "client_assertion_type": None}, "invalid_request"),
    ],
)
async def test_token_request_errors(client, rp, form, error):
    body = {**rp.token_form("some-code"), **form}
    body = {k: v for k, v in body.items() if v is not None}
    assert error_of(await client.post("/token", data=body))["error"] == error


async def test_token_requests_must_be_forms(client, rp):
    response = await client.post("/token", json=rp.token_form("x"))
    assert error_of(response)["error"] == "invalid_request"


async def test_client_secret_post(client, services, citizen):
    from govsignin.onboarding.registration import Registration, register

    uri = "https://secret-rp.example.gov.uk/callback"
    reg = await register(services, Registration(name="Secret RP", redirect_uris=[uri], secret=True))
    assert len(reg["client_secret"]) >= 43  # 256 bits, url-safe base64
    rp = TestRP(services, redirect_uri=uri, client_id=reg["client_id"])
    code, _ = await code_for(client, rp, citizen)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": uri, "client_id": rp.client_id}
    assert error_of(await client.post("/token", data={**form, "client_secret": "wrong"}))["error"] == "invalid_client"
    code, _ = await code_for(client, rp, citizen)
    form["code"] = code
    assert (await client.post("/token", data={**form, "client_secret": reg["client_secret"]})).status_code == 200
    # The secret itself is not stored anywhere, only its keyed hash.
    client_row = await services.registry.get(rp.client_id)
    assert reg["client_secret"] not in (client_row.secret_hash or "")
