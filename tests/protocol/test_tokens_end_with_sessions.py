"""Codes and access tokens die with the sessions they came from: "sign out of all devices",
deleting the account, and signing out of the browser session that issued them."""

from urllib.parse import urlencode

from govsignin.manage.deletion import delete_account
from tests.support.rp import TestRP, code_for, make_citizen


async def test_a_code_issued_before_sign_out_everywhere_does_not_redeem(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    await services.sessions.end_all_for_user(citizen.user_id)
    response = await rp.token(client, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_a_code_issued_before_the_account_was_deleted_does_not_redeem(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    await delete_account(services, await services.accounts.get(citizen.user_id))
    response = await rp.token(client, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_sign_out_everywhere_ends_access_tokens(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    access = (await rp.token(client, code)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert (await client.get("/userinfo", headers=bearer)).status_code == 200
    await services.sessions.end_all_for_user(citizen.user_id)
    assert (await client.get("/userinfo", headers=bearer)).status_code == 401


async def test_logout_ends_the_access_tokens_of_that_session(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    body = (await rp.token(client, code)).json()
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/userinfo", headers=bearer)).status_code == 200
    query = {"id_token_hint": body["id_token"], "post_logout_redirect_uri": rp.redirect_uri.replace("/callback", "/signed-out")}
    response = await client.get("/logout?" + urlencode(query))
    assert response.status_code in (302, 303)
    assert (await client.get("/userinfo", headers=bearer)).status_code == 401
