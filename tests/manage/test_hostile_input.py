"""Hostile input on every account form: refused with a page, never a 5xx."""

import pytest

from tests.manage.support import account_client, reprompt
from tests.support.rp import csrf_of

POST_PAGES = ["/account/enter-password", "/account/change-email", "/account/check-your-email",
              "/account/change-password", "/account/change-phone-number", "/account/check-your-phone",
              "/account/change-authenticator-app", "/account/recovery-codes", "/account/add-passkey",
              "/account/remove-passkey", "/account/remove-backup-method", "/account/switch-methods",
              "/account/activity-history/report-activity", "/account/global-logout", "/account/delete-account"]
HOSTILE = [
    {},
    {"email": "x" * 5000, "code": "１２３４５６", "phone": "+" + "9" * 40, "id": "-1", "event": "1e9",
     "password": "\u202e" * 300, "confirm-password": "", "credential": "{" * 1000, "next": "//evil.example"},
    {"id": "99999999999999999999", "event": "0", "code": "abcdef", "email": "a@b", "phone": "()"},
]


async def test_every_form_without_a_csrf_token_is_refused(client, services):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/change-password")
    for path in POST_PAGES:
        response = await client.post(path, data={"password": citizen.password})
        assert response.status_code == 403, path
    assert (await client.get("/account")).status_code == 200


@pytest.mark.parametrize("fields", HOSTILE)
async def test_hostile_fields_never_cause_a_server_error(client, services, fields):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/change-password")
    token = csrf_of((await client.get("/account/change-password")).text)
    for path in POST_PAGES:
        if path in ("/account/global-logout", "/account/delete-account"):
            continue  # these succeed with a token (and end the session): covered elsewhere
        response = await client.post(path, data={"csrf_token": token, **fields})
        assert response.status_code < 500, (path, response.status_code)
    # Not a form at all, and duplicated fields.
    response = await client.post("/account/change-email", content=b'{"email": 1}', headers={"content-type": "application/json"})
    assert response.status_code == 400
    response = await client.post("/account/change-email", content=f"csrf_token={token}&email=a&email=b".encode(),
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
