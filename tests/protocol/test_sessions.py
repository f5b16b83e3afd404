"""Single sign-on, uplift, prompt, max_age, reauthentication, and pairwise subjects."""

import time
from urllib.parse import urlencode

from tests.support.rp import TestRP, code_for, make_citizen, post_page, redirect_params


async def id_claims(client, rp, code):
    body = (await rp.token(client, code)).json()
    return (await rp.verify_id_token(client, body["id_token"]))["claims"]


async def test_a_second_service_gets_a_code_without_asking_again(client, services):
    first, second = await TestRP.create(services), await TestRP.create(services)
    citizen = await make_citizen(services)
    await code_for(client, first, citizen)

    params = second.authorize_params()
    response = await client.get("/authorize?" + urlencode(params))
    got = redirect_params(response)
    assert response.headers["location"].startswith(second.redirect_uri) and "code" in got
    assert got["state"] == params["state"]


async def test_services_in_different_sectors_get_different_subs_and_one_sector_shares_them(client, services):
    a = await TestRP.create(services, sector_identifier_uri="https://sector-a.example.gov.uk")
    a2 = await TestRP.create(services, sector_identifier_uri="https://www.sector-a.example.gov.uk")
    b = await TestRP.create(services, sector_identifier_uri="https://sector-b.example.gov.uk")
    citizen = await make_citizen(services)
    subs = {}
    for name, rp in (("a", a), ("a2", a2), ("b", b)):
        code, _ = await code_for(client, rp, citizen)
        subs[name] = (await id_claims(client, rp, code))["sub"]
    assert subs["a"] == subs["a2"]  # "www." is stripped from the sector host
    assert subs["a"] != subs["b"]
    assert all(s.startswith("urn:fdc:gov.uk:2022:") for s in subs.values())


async def test_cl_then_cl_cm_asks_only_for_the_second_factor(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await code_for(client, rp, citizen, vtr='["Cl"]')

    response = await client.get("/authorize?" + urlencode(rp.authorize_params(vtr='["Cl.Cm"]')))
    assert response.headers["location"] == "/enter-authenticator-app-code"
    response = await post_page(client, "/enter-authenticator-app-code", code=citizen.code())
    assert response.headers["location"] == "/auth-code"
    code = redirect_params(await client.get("/auth-code"))["code"]
    assert (await id_claims(client, rp, code))["vot"] == "Cl.Cm"


async def test_prompt_none_without_a_session_is_login_required(client, services):
    rp = await TestRP.create(services)
    got = redirect_params(await client.get("/authorize?" + urlencode(rp.authorize_params(prompt="none"))))
    assert got["error"] == "login_required"


async def test_prompt_none_with_a_session_returns_a_code(client, services):
    rp = await TestRP.create(services)
    await code_for(client, rp, await make_citizen(services))
    got = redirect_params(await client.get("/authorize?" + urlencode(rp.authorize_params(prompt="none"))))
    assert "code" in got


async def test_prompt_login_asks_for_the_password_again(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    first_auth_time = (await id_claims(client, rp, code))["auth_time"]

    response = await client.get("/authorize?" + urlencode(rp.authorize_params(prompt="login")))
    assert response.headers["location"] == "/enter-password"
    time.sleep(1.1)
    response = await post_page(client, "/enter-password", password=citizen.password)
    assert response.headers["location"] == "/auth-code"
    code = redirect_params(await client.get("/auth-code"))["code"]
    assert (await id_claims(client, rp, code))["auth_time"] > first_auth_time


async def test_max_age_exceeded_asks_for_the_password_again(client, services):
    rp = await TestRP.create(services)
    await code_for(client, rp, await make_citizen(services))
    time.sleep(1.1)
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(max_age="0")))
    assert response.headers["location"] == "/enter-password"


async def test_reauthentication_through_a_signed_request_object(client, services):
    rp = await TestRP.create(services, alg="RS256")
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    id_token = (await rp.token(client, code)).json()["id_token"]

    params = rp.authorize_params()
    request_object = rp.request_object(**{**params, "prompt": "login", "id_token_hint": id_token})
    query = {"response_type": "code", "scope": params["scope"], "client_id": rp.client_id, "request": request_object}
    response = await client.get("/authorize?" + urlencode(query))
    assert response.headers["location"] == "/enter-email"  # One Login: the full sign-in again
    await post_page(client, "/enter-email", email=citizen.email)
    await post_page(client, "/enter-password", password=citizen.password)
    await post_page(client, "/enter-authenticator-app-code", code=citizen.code(offset=1))
    got = redirect_params(await client.get("/auth-code"))
    assert "code" in got and got["state"] == params["state"]


async def test_reauthentication_as_someone_else_is_login_required(client, services):
    rp = await TestRP.create(services, alg="RS256")
    citizen, other = await make_citizen(services), await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    id_token = (await rp.token(client, code)).json()["id_token"]
    params = rp.authorize_params()
    request_object = rp.request_object(**{**params, "prompt": "login", "id_token_hint": id_token})
    query = {"response_type": "code", "scope": params["scope"], "client_id": rp.client_id, "request": request_object}
    await client.get("/authorize?" + urlencode(query))
    await post_page(client, "/enter-email", email=other.email)
    await post_page(client, "/enter-password", password=other.password)
    await post_page(client, "/enter-authenticator-app-code", code=other.code())
    assert redirect_params(await client.get("/auth-code"))["error"] == "login_required"


async def test_request_objects_are_checked(client, services):
    rp = await TestRP.create(services, alg="RS256")
    params = rp.authorize_params()
    base = {"response_type": "code", "scope": params["scope"], "client_id": rp.client_id}

    expired = rp.request_object(**params, exp=int(time.time()) - 120)
    assert (await client.get("/authorize?" + urlencode({**base, "request": expired}))).status_code == 400
    forged = (await TestRP.create(services, alg="RS256")).request_object(**{**params, "iss": rp.client_id})
    assert (await client.get("/authorize?" + urlencode({**base, "request": forged}))).status_code == 400
    wrong_aud = rp.request_object(**params, aud="https://elsewhere.example/authorize")
    got = redirect_params(await client.get("/authorize?" + urlencode({**base, "request": wrong_aud})))
    assert got["error"] == "access_denied"
    good = rp.request_object(**params, login_hint="hint@example.com")
    response = await client.get("/authorize?" + urlencode({**base, "request": good}))
    assert response.headers["location"] == "/sign-in-or-create"


async def test_jar_required_services_must_use_request_objects(client, services):
    rp = await TestRP.create(services, jar_required=True)
    got = redirect_params(await client.get("/authorize?" + urlencode(rp.authorize_params())))
    assert got["error"] == "access_denied"


async def test_a_session_record_deleted_meanwhile_is_not_brought_back(services):
    """Two tabs: B reads the session, A signs in (new id, old record deleted), then B writes back
    what it read. The old id must stay gone, or its journey (at the code step, verified) would
    live on under an id the sign-in meant to retire."""
    sessions = services.sessions
    created = sessions.new()
    await sessions.save(created)  # a new session is created
    tab_b = await sessions.load(created.id)
    tab_a = await sessions.load(created.id)
    old_id = await sessions.renew_id(tab_a)
    await sessions.write_renewed(tab_a, old_id)  # tab A: the new record exists, the old is gone

    tab_b.journey = {"state": "AUTH_CODE", "password_verified": True, "expires": time.time() + 600}
    await sessions.save_keeping_idle(tab_b)
    await sessions.save(tab_b)
    assert await sessions.load(old_id) is None
    assert (await sessions.load(tab_a.id)).id == tab_a.id

    # Sign-out in another tab is final the same way.
    reloaded = await sessions.load(tab_a.id)
    await sessions.end(tab_a)
    await sessions.save(reloaded)
    assert await sessions.load(tab_a.id) is None
