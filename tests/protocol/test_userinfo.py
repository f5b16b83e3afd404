"""/userinfo: One Login's 401 WWW-Authenticate errors and scope-driven claims."""

from tests.support.rp import TestRP, code_for, make_citizen


async def test_no_token_is_401_bearer(client):
    response = await client.get("/userinfo")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_an_unknown_token_is_401_invalid_token(client):
    response = await client.get("/userinfo", headers={"Authorization": "Bearer made-up"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_phone_scope_releases_the_e164_number(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services, phone="+447700900123")
    code, _ = await code_for(client, rp, citizen, scope="openid phone")
    token = (await rp.token(client, code)).json()["access_token"]
    body = (await client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})).json()
    assert body["phone_number"] == "+447700900123" and body["phone_number_verified"] is True
    assert "email" not in body


async def test_the_access_token_can_be_reused_until_it_expires(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    token = (await rp.token(client, code)).json()["access_token"]
    for _ in range(2):
        assert (await client.post("/userinfo", headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_claims_are_read_at_userinfo_time_and_a_deleted_account_is_invalid_token(client, services):
    from sqlalchemy import delete, update

    from govsignin.accounts.models import User

    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    token = (await rp.token(client, code)).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    user = await services.accounts.by_email(citizen.email)
    changed = "changed-" + citizen.email
    async with services.sessionmaker() as db, db.begin():
        await db.execute(update(User).where(User.id == user.id).values(email=changed))
    body = (await client.get("/userinfo", headers=auth)).json()
    assert body["email"] == changed and body["email_verified"] is True
    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(User).where(User.id == user.id))
    response = await client.get("/userinfo", headers=auth)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
