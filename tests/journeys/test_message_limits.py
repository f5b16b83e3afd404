"""Send limits over HTTP (messaging/limits.py, accounts/codes.py issue()): every code sent counts,
per journey, destination, account and IP; a daily SMS budget; phone country allow-list; and
counters that a stranger cannot use to block a citizen's own codes."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from structlog.testing import capture_logs

from govsignin.audit.models import AuditEvent
from govsignin.accounts.phone import parse_mobile
from govsignin.messaging.outbox import read_outbox
from tests.journeys.test_create_account import error_of, start, to_password
from tests.manage.support import account_client, error_summary, reprompt, submit
from tests.support.rp import TestRP, make_citizen, new_email, post_page


def _uk_mobile() -> str:
    """A random number that parse_mobile accepts (the outbox is shared by every test)."""
    while True:
        number = f"07911{secrets.randbelow(10**6):06d}"
        if parse_mobile(number)[0]:
            return number


def _e164(uk: str) -> str:
    return "+44" + uk[1:]


async def _sms_count(services, numbers) -> int:
    return sum([len(await read_outbox(services, _e164(n))) for n in numbers])


async def test_one_journey_cannot_text_thirty_numbers(client, services):
    rp = await TestRP.create(services)
    await to_password(client, services, rp, new_email())  # the email code was this journey's first send
    await post_page(client, "/get-security-codes", choice="sms")
    numbers = [_uk_mobile() for _ in range(30)]
    locations = []
    for number in numbers:
        response = await post_page(client, "/enter-phone-number", phone=number)
        locations.append(response.headers.get("location"))
        if response.headers.get("location") == "/check-your-phone":
            await client.get("/enter-phone-number")  # back, to try another number
    sent = await _sms_count(services, numbers)
    assert sent < 30
    cap = services.settings.sends_per_journey
    assert sent == cap - 1
    assert locations[cap - 1:] and set(locations[cap - 1:]) == {"/security-code-requested-too-many-times"}


async def test_a_number_outside_the_country_list_gets_an_error_on_the_phone_page(client, services, monkeypatch):
    rp = await TestRP.create(services)
    await to_password(client, services, rp, new_email())
    await post_page(client, "/get-security-codes", choice="sms")
    for number in ("+33 6 12 34 56 78", "+86 138 0013 8000"):
        response = await post_page(client, "/enter-phone-number", phone=number)
        assert response.status_code == 400 and error_of(response.text) == "Enter a UK mobile phone number", number
    assert await read_outbox(services, "+8613800138000") == []
    monkeypatch.setattr(services.settings, "sms_country_codes", "44,33")
    response = await post_page(client, "/enter-phone-number", phone="+86 138 0013 8000")
    assert error_of(response.text) == (
        "We cannot send text messages to phone numbers in that country. Enter a different mobile phone number")


async def test_the_account_pages_refuse_a_number_outside_the_country_list(client, services):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/change-phone-number")
    response = await submit(client, "/account/change-phone-number", phone="+86 138 0013 8001")
    assert response.status_code == 400 and "Enter a UK mobile phone number" in error_summary(response.text)
    assert await read_outbox(services, "+8613800138001") == []


async def test_anonymous_requests_cannot_flood_one_mailbox(client, services):
    rp, victim = await TestRP.create(services), new_email()
    locations = []
    for _ in range(12):  # each a new journey in a fresh browser
        client.cookies.clear()
        await start(client, rp)
        response = await post_page(client, "/enter-email-create", email=victim)
        locations.append(response.headers["location"])
    sent = len(await read_outbox(services, victim))
    assert sent < 12
    cap = services.settings.sends_per_destination_per_day
    assert sent == cap
    assert locations[:cap] == ["/check-your-email"] * cap
    assert set(locations[cap:]) == {"/security-code-requested-too-many-times"}


async def test_a_stranger_pressing_resend_does_not_block_the_owners_recovery(client, services):
    rp = await TestRP.create(services)
    victim = await make_citizen(services)
    # A stranger starts "Create an account" with the victim's email and presses resend 7 times.
    await start(client, rp)
    await post_page(client, "/enter-email-create", email=victim.email)
    for _ in range(7):
        last = await post_page(client, "/check-your-email", action="resend")
    assert last.headers["location"] == "/security-code-requested-too-many-times"
    # The victim, in their own browser, resets their password: the code arrives.
    client.cookies.clear()
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=victim.email)
    await client.get("/reset-password-request")
    response = await post_page(client, "/reset-password-request")
    assert response.headers["location"] == "/reset-password-check-email"
    assert (await read_outbox(services, victim.email, last=True))[0]["template"] == "reset-password-code"
    # And the lost-factor route still sends its code too.
    client.cookies.clear()
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=victim.email)
    await post_page(client, "/enter-password", password=victim.password)
    await client.get("/how-do-you-want-security-codes")
    await client.get("/cannot-use-security-codes")
    response = await post_page(client, "/cannot-use-security-codes", how="email")
    assert response.status_code == 303, response.text
    assert (await read_outbox(services, victim.email, last=True))[0]["template"] == "mfa-reset-code"


def _metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_the_sms_budget_refuses_with_a_page_and_pages_an_operator(client, services, monkeypatch):
    rp = await TestRP.create(services)
    spent = int(await services.store.get("send:sms-budget") or 0)
    monkeypatch.setattr(services.settings, "sms_daily_budget", spent + 1)  # room for one more text
    exceeded = _metric("govsignin_sms_budget_exceeded_total")
    phone = _uk_mobile()
    await to_password(client, services, rp, new_email())
    await post_page(client, "/get-security-codes", choice="sms")
    response = await post_page(client, "/enter-phone-number", phone=phone)
    assert response.headers["location"] == "/check-your-phone"
    with capture_logs() as logs:
        page = await post_page(client, "/check-your-phone", action="resend")
    assert page.status_code == 503 and "Sorry, we cannot send text messages at the moment" in page.text
    assert len(await read_outbox(services, _e164(phone))) == 1
    assert [e for e in logs if e["event"] == "sms_budget_exceeded" and e["log_level"] == "error"]
    assert _metric("govsignin_sms_budget_exceeded_total") == exceeded + 1
    async with services.sessionmaker() as db:
        tags = (await db.execute(select(AuditEvent.tag).order_by(AuditEvent.id.desc()).limit(20))).scalars().all()
    assert "messaging:sms_budget:exceeded" in tags
    # Sign-in by text message is refused the same way, with the page, while the budget is spent.
    citizen = await make_citizen(services, totp=False, phone=_e164(_uk_mobile()))
    client.cookies.clear()
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    await post_page(client, "/enter-password", password=citizen.password)
    page = await client.get("/enter-code")
    assert page.status_code == 503 and "cannot send text messages" in page.text


@pytest.fixture
def ip_limits_on(services, monkeypatch):
    monkeypatch.setattr(services.settings, "ratelimit_enabled", True)
    monkeypatch.setattr(services.settings, "sends_per_ip_per_hour", 3)


async def test_sends_count_per_ip_with_the_rate_limits_on(client, services, ip_limits_on):
    rp = await TestRP.create(services)
    ip_client = client
    ip_client._transport.client = (f"192.0.2.{secrets.randbelow(250) + 1}", 1234)
    outcomes = []
    for _ in range(4):
        ip_client.cookies.clear()
        await start(ip_client, rp)
        response = await post_page(ip_client, "/enter-email-create", email=new_email())
        outcomes.append(response.headers["location"])
    assert outcomes == ["/check-your-email"] * 3 + ["/security-code-requested-too-many-times"]


async def test_the_account_pages_show_the_page_when_the_sms_budget_is_spent(client, services, monkeypatch):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/change-phone-number")
    spent = int(await services.store.get("send:sms-budget") or 0)
    monkeypatch.setattr(services.settings, "sms_daily_budget", spent)  # nothing left
    phone = _uk_mobile()
    response = await submit(client, "/account/change-phone-number", phone=phone)
    assert response.status_code == 503 and "Sorry, we cannot send text messages at the moment" in response.text
    assert await read_outbox(services, _e164(phone)) == []
