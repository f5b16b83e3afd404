"""Activity history and reports; sign out of all devices; deleting the account."""

import asyncio
import re
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from govsignin.accounts.models import MfaMethod, PasswordCredential
from govsignin.accounts.service_uses import ServiceUse
from govsignin.audit.models import AuditEvent, AuditPersonal, events_of
from govsignin.audit.verify import verify_chain
from govsignin.messaging.outbox import read_outbox
from govsignin.oidc.backchannel import deliver_due
from tests.manage.support import account_client, error_summary, next_step, submit
from tests.protocol.test_logout import Receiver
from tests.support.rp import TestRP, code_for, make_citizen, sign_in


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


async def drain(services, rounds=20):
    for _ in range(rounds):
        await deliver_due(services)
        await asyncio.sleep(0.05)


async def test_activity_history_shows_only_my_events_newest_first(client, services):
    citizen = await account_client(client, services)
    page = await client.get("/account/activity-history")
    assert page.status_code == 200 and "You signed in" in page.text
    ids = [int(i) for i in re.findall(r"report-activity\?event=(\d+)", page.text)]
    assert ids and ids == sorted(ids, reverse=True)
    async with services.sessionmaker() as db:
        owners = set((await db.execute(
            select(AuditPersonal.user_id).join(AuditEvent, AuditEvent.personal == AuditPersonal.digest)
            .where(AuditEvent.id.in_(ids))
        )).scalars())
    assert owners == {citizen.user_id}


async def test_activity_history_in_welsh(client, services):
    await account_client(client, services)
    page = await client.get("/account/activity-history?lng=cy")
    assert page.status_code == 200 and 'lang="cy"' in page.text


async def test_report_activity_gives_a_report_number_by_email(client, services):
    citizen = await account_client(client, services)
    page = await client.get("/account/activity-history")
    event = re.search(r"report-activity\?event=(\d+)", page.text).group(1)
    done = await submit(client, f"/account/activity-history/report-activity?event={event}", event=event)
    assert done.status_code == 200
    number = re.search(r'id="report-number">(GS-[A-Z0-9]{8})<', done.text).group(1)
    message = (await read_outbox(services, citizen.email, last=True))[0]
    assert message["template"] == "activity-reported" and message["personalisation"]["report_number"] == number
    assert "You reported activity" in (await client.get("/account/activity-history")).text


async def test_someone_elses_event_cannot_be_reported(client, services):
    await account_client(client, services)
    other = await make_citizen(services)
    await services.audit.record("account:login:success", user_id=other.user_id)
    async with services.sessionmaker() as db:
        theirs = (await db.execute(select(AuditEvent.id).where(events_of(other.user_id)))).scalars().first()
    for value in (str(theirs), "abc", "9" * 30):
        response = await client.get(f"/account/activity-history/report-activity?event={value}")
        assert response.headers["location"] == "/account/activity-history"


async def test_sign_out_of_all_devices(app, client, services, receiver):
    rp = await TestRP.create(services, backchannel_logout_uri=receiver.uri)
    citizen = await make_citizen(services)
    # Device 2 signs in to a service.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=services.settings.issuer_url()) as other:
        await code_for(other, rp, citizen)
        # Device 1 signs in to the account pages and signs out everywhere.
        await client.get("/account")
        await sign_in(client, next_step(citizen))
        done = await submit(client, "/account/global-logout")
        assert done.status_code == 200 and "signed out of all devices" in done.text
        assert (await client.get("/account")).headers["location"] == "/sign-in-or-create"
        again = await other.get("/authorize?" + urlencode(rp.authorize_params(prompt="none")))
        assert "error=login_required" in again.headers["location"]
    await drain(services)
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    assert [jwt.decode(t, jwks).claims["aud"] for t in receiver.tokens] == [rp.client_id]


async def test_signing_in_after_signing_out_everywhere_works(client, services):
    citizen = await account_client(client, services)
    await submit(client, "/account/global-logout")
    await client.get("/account")
    final = await sign_in(client, next_step(citizen))
    assert final.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200


async def test_delete_account(client, services, receiver):
    rp = await TestRP.create(services, backchannel_logout_uri=receiver.uri)
    citizen = await make_citizen(services)
    await code_for(client, rp, citizen)
    await client.get("/account")  # the session is Cl.Cm already: straight in
    page = await client.get("/account")
    assert page.status_code == 200
    empty = await submit(client, "/account/delete-account")
    assert empty.status_code == 400 and "Enter your password" in error_summary(empty.text)
    wrong = await submit(client, "/account/delete-account", password="not-my-password-1")
    assert wrong.status_code == 400 and "not correct" in error_summary(wrong.text)
    async with services.sessionmaker() as db:  # signing in recorded events with personal data
        assert (await db.execute(select(AuditEvent.id).where(events_of(citizen.user_id)))).first() is not None
    done = await submit(client, "/account/delete-account", password=citizen.password)
    assert done.status_code == 200 and "You have deleted your GOV.UK account" in done.text
    assert await services.accounts.get(citizen.user_id) is None
    assert await services.accounts.by_email(citizen.email) is None
    async with services.sessionmaker() as db:
        for model in (PasswordCredential, MfaMethod, ServiceUse):
            assert (await db.execute(select(model).where(model.user_id == citizen.user_id))).first() is None
        # The audit trail stays, anonymous: no event holds the user id, IP address or user agent.
        assert (await db.execute(select(AuditEvent.id).where(events_of(citizen.user_id)))).first() is None
        assert (await db.execute(select(AuditPersonal).where(AuditPersonal.user_id == citizen.user_id))).first() is None
        deleted = (await db.execute(select(AuditEvent).where(AuditEvent.tag == "account:account:deleted")
                                    .order_by(AuditEvent.seq.desc()))).scalars().first()
    assert deleted is not None and (deleted.user_id, deleted.ip, deleted.user_agent, deleted.personal) == (None,) * 4
    assert (await verify_chain(services.engine))["ok"]  # every hash still verifies
    assert (await read_outbox(services, citizen.email, last=True))[0]["template"] == "account-deleted"
    await drain(services)
    assert len(receiver.tokens) == 1
    # Signing in again fails like any unknown account.
    await client.get("/account")
    from tests.support.rp import post_page

    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    response = await post_page(client, "/enter-password", password=citizen.password)
    assert response.status_code == 400
