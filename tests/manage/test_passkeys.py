"""Adding and removing passkeys on the account pages (the ceremony itself: accounts/passkeys.py)."""

import json
import re
import secrets

from sqlalchemy import select

from govsignin.accounts.models import MfaMethod, Passkey
from tests.manage.support import account_client, error_summary, reprompt, submit


async def _insert_passkey(services, user_id):
    async with services.sessionmaker() as db, db.begin():
        row = Passkey(user_id=user_id, credential_id=secrets.token_urlsafe(16), public_key=b"x", sign_count=0,
                      transports="internal", user_handle=secrets.token_urlsafe(32), aaguid="", backed_up=False,
                      name="Phone")
        db.add(row)
        db.add(MfaMethod(user_id=user_id, kind="passkey", priority="backup"))
    return row.id


async def test_add_passkey_offers_registration_options_and_refuses_a_bad_response(client, services):
    citizen = await account_client(client, services)
    page = await reprompt(client, citizen, "/account/add-passkey")
    options = json.loads(re.search(r'id="passkey-options">(.*?)</script>', page.text, re.S).group(1))
    assert options["rp"]["id"] == "localhost" and options["user"]["name"] == citizen.email
    bad = await submit(client, "/account/add-passkey", credential='{"id": "nope"}')
    assert bad.status_code == 400 and "could not be created" in error_summary(bad.text)


async def test_remove_a_passkey(client, services):
    citizen = await account_client(client, services)
    passkey_id = await _insert_passkey(services, citizen.user_id)
    security = await client.get("/account/security")
    assert f"/account/remove-passkey?id={passkey_id}" in security.text
    page = await reprompt(client, citizen, f"/account/remove-passkey?id={passkey_id}")
    assert "Remove this passkey?" in page.text
    done = await submit(client, f"/account/remove-passkey?id={passkey_id}", id=str(passkey_id))
    assert done.headers["location"] == "/account/security?updated=passkey-removed"
    async with services.sessionmaker() as db:
        assert (await db.execute(select(Passkey).where(Passkey.user_id == citizen.user_id))).first() is None
        kinds = set((await db.execute(select(MfaMethod.kind).where(MfaMethod.user_id == citizen.user_id))).scalars())
    assert kinds == {"auth_app"}


async def test_someone_elses_passkey_cannot_be_removed(client, services):
    from tests.support.rp import make_citizen

    citizen = await account_client(client, services)
    other = await make_citizen(services)
    theirs = await _insert_passkey(services, other.user_id)
    await reprompt(client, citizen, "/account/change-password")
    response = await client.get(f"/account/remove-passkey?id={theirs}")
    assert response.headers["location"] == "/account/security"
