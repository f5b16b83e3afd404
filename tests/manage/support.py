"""Helpers for the account pages' in-process tests."""

from __future__ import annotations

import re

from tests.support.rp import csrf_of, make_citizen, sign_in


async def account_client(client, services, **citizen_kwargs):
    """A citizen signed in through /account (the first-party destination)."""
    citizen = await make_citizen(services, **citizen_kwargs)
    response = await client.get("/account")
    assert response.status_code == 303 and response.headers["location"] == "/sign-in-or-create"
    final = await sign_in(client, citizen)
    assert final.status_code == 303 and final.headers["location"] == "/account", final.headers
    return citizen


async def reprompt(client, citizen, target: str):
    """Visit a sensitive page, answer the password re-prompt, land on it."""
    response = await client.get(target)
    assert response.status_code == 303 and response.headers["location"].startswith("/account/enter-password"), response.headers
    page = await client.get(response.headers["location"])
    from urllib.parse import parse_qs, urlsplit

    assert parse_qs(urlsplit(response.headers["location"]).query)["next"] == [target]
    response = await client.post("/account/enter-password", data={
        "csrf_token": csrf_of(page.text), "next": target, "password": citizen.password})
    assert response.status_code == 303 and response.headers["location"] == target
    return await client.get(target)


async def submit(client, path: str, **fields):
    page = await client.get(path)
    assert page.status_code == 200, (path, page.status_code, page.headers.get("location"))
    return await client.post(path, data={"csrf_token": csrf_of(page.text), **fields})


def error_summary(html: str) -> str:
    match = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else ""


def next_step(citizen):
    """The same citizen, typing the next 30-second step's code (the current one was used once:
    the replay check refuses it on a second device)."""
    class Next(type(citizen)):
        def code(self, offset: int = 0) -> str:
            return super().code(offset + 1)

    return Next(**{f: getattr(citizen, f) for f in ("email", "password", "totp_secret", "user_id")})
