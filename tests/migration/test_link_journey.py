""""Link your old account": the legacy service signs a request object naming the account signed
in to its old system; the citizen signs in and confirms; the link is recorded, audited, shown on
the account pages and removable there. Forged, replayed, unsigned and other-system requests are
refused, and one legacy id is never linked to two accounts."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from govsignin.audit.models import AuditEvent, events_of
from govsignin.migration.links import links_of
from govsignin.migration.progress import import_report
from tests.support.rp import TestRP, csrf_of, make_citizen, post_page, redirect_params, sign_in

LEGACY = {"userinfo": {"legacy_subject_id": None}}


def jar(rp, request_object: str) -> str:
    query = {"response_type": "code", "scope": "openid email", "client_id": rp.client_id, "request": request_object}
    return "/authorize?" + urlencode(query)


def link_request(rp, legacy_id: str, **claims) -> str:
    import json

    params = rp.authorize_params(scope="openid email", claims=json.dumps(LEGACY))
    return jar(rp, rp.request_object(**params, legacy_subject_id=legacy_id, **claims))


@pytest.fixture
async def owner(services):
    system = f"old-{uuid.uuid4().hex[:8]}"
    return system, await TestRP.create(services, name="Renew your vehicle tax (old system)", legacy_system=system)


async def _sign_in_to_link_page(client, citizen):
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    await post_page(client, "/enter-password", password=citizen.password)
    return await post_page(client, "/enter-authenticator-app-code", code=citizen.code())


async def _userinfo(client, rp, final) -> dict:
    token = (await rp.token(client, redirect_params(final)["code"])).json()["access_token"]
    return (await client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})).json()


async def test_the_citizen_confirms_and_the_link_is_recorded_audited_shown_and_removable(client, services, owner):
    system, rp = owner
    citizen = await make_citizen(services)
    legacy_id = f"V-{uuid.uuid4().hex[:6]}"
    imported_before = (await import_report(services.engine))["imported"]
    response = await client.get(link_request(rp, legacy_id))
    assert response.headers["location"] == "/sign-in-or-create"
    response = await _sign_in_to_link_page(client, citizen)
    assert response.headers["location"] == "/link-your-account"
    assert (await client.get("/auth-code")).headers["location"] == "/link-your-account"  # no way round
    page = await client.get("/link-your-account")
    assert "Link your Renew your vehicle tax (old system) account" in page.text
    response = await client.post("/link-your-account", data={"csrf_token": csrf_of(page.text), "action": "link"})
    assert response.headers["location"] == "/auth-code"
    userinfo = await _userinfo(client, rp, await client.get("/auth-code"))
    assert userinfo["legacy_subject_id"] == legacy_id
    assert await links_of(services, citizen.user_id) == [(system, legacy_id)]
    assert (await import_report(services.engine))["imported"] == imported_before  # linked, not imported
    async with services.sessionmaker() as db:
        tags = (await db.execute(select(AuditEvent.tag).where(events_of(citizen.user_id)))).scalars().all()
    assert "migration:link:added" in tags

    home = await client.get("/account")
    assert home.status_code == 200
    linked = home.text.split('id="linked-accounts"')[1].split("</ul>")[0]
    assert "Renew your vehicle tax (old system)" in linked
    response = await client.post("/account/remove-old-account", data={"csrf_token": csrf_of(home.text), "system": system})
    assert response.headers["location"] == "/account"
    assert await links_of(services, citizen.user_id) == []
    assert 'id="linked-accounts"' not in (await client.get("/account")).text


async def test_declining_goes_on_without_a_link(client, services, owner):
    _, rp = owner
    citizen = await make_citizen(services)
    await client.get(link_request(rp, "V-declined"))
    await _sign_in_to_link_page(client, citizen)
    response = await post_page(client, "/link-your-account", action="skip")
    assert response.headers["location"] == "/auth-code"
    userinfo = await _userinfo(client, rp, await client.get("/auth-code"))
    assert "legacy_subject_id" not in userinfo
    assert await links_of(services, citizen.user_id) == []


async def test_a_signed_in_session_is_asked_too(client, services, owner):
    _, rp = owner
    citizen = await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    assert "code" in redirect_params(await sign_in(client, citizen))
    response = await client.get(link_request(rp, "V-sso"))
    assert response.headers["location"] == "/link-your-account"  # no code at once


async def test_one_legacy_id_is_never_linked_to_two_accounts(client, services, owner):
    _, rp = owner
    first, second = await make_citizen(services), await make_citizen(services)
    await client.get(link_request(rp, "V-shared"))
    await _sign_in_to_link_page(client, first)
    await post_page(client, "/link-your-account", action="link")
    client.cookies.clear()
    await client.get(link_request(rp, "V-shared"))
    await _sign_in_to_link_page(client, second)
    refused = await post_page(client, "/link-your-account", action="link")
    assert refused.status_code == 409 and "govuk-error-summary" in refused.text
    assert "already linked to another GOV.UK account" in refused.text
    assert await links_of(services, second.user_id) == []
    response = await post_page(client, "/link-your-account", action="skip")  # on without it
    assert response.headers["location"] == "/auth-code"


async def test_an_unsigned_forged_or_replayed_link_request_is_refused(client, services, owner):
    _, rp = owner
    # In the query, unsigned: anyone could write one.
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(legacy_subject_id="V-1")))
    got = redirect_params(response)
    assert got["error"] == "invalid_request" and "signed request object" in got["error_description"]
    # Signed with a key that is not the service's.
    forger = await TestRP.create(services)
    forged = forger.request_object(**rp.authorize_params(), legacy_subject_id="V-1")
    response = await client.get(jar(rp, forged))
    assert response.status_code == 400 and "Request object is not validly signed" in response.text
    # Replayed: the same object (jti) twice.
    once = rp.request_object(**rp.authorize_params(), legacy_subject_id="V-1", jti=uuid.uuid4().hex)
    assert (await client.get(jar(rp, once))).status_code == 302
    again = await client.get(jar(rp, once))
    assert again.status_code == 400 and "already been used" in again.text


async def test_a_service_cannot_link_for_a_system_it_does_not_own(client, services, owner):
    system, _ = owner
    plain = await TestRP.create(services)  # no legacy system
    response = await client.get(jar(plain, plain.request_object(**plain.authorize_params(), legacy_subject_id="V-9")))
    got = redirect_params(response)
    assert got["error"] == "invalid_request"
    assert got["error_description"] == "Client is not registered with that legacy system"
    rival = await TestRP.create(services, legacy_system=f"old-{uuid.uuid4().hex[:8]}")
    response = await client.get(jar(rival, rival.request_object(**rival.authorize_params(), legacy_subject_id="V-9",
                                                                 legacy_system=system)))
    assert redirect_params(response)["error_description"] == "Client is not registered with that legacy system"


async def test_the_link_page_and_the_linked_accounts_are_in_welsh(client, services, owner):
    from tests.support.welsh import english_on_page

    _, rp = owner
    citizen = await make_citizen(services)
    await client.get(link_request(rp, f"V-{uuid.uuid4().hex[:6]}"))
    await _sign_in_to_link_page(client, citizen)
    client.cookies.set("lng", "cy")
    allowed = (services.settings.service_name, "Renew your vehicle tax (old system)", citizen.email, "GOV.UK")
    page = await client.get("/link-your-account")
    assert "Cysylltu eich cyfrif" in page.text and english_on_page(page.text, allowed=allowed) == []
    await client.post("/link-your-account", data={"csrf_token": csrf_of(page.text), "action": "link"})
    await client.get("/auth-code")
    home = await client.get("/account")
    assert "Cyfrifon cysylltiedig" in home.text and english_on_page(home.text, allowed=allowed) == []
