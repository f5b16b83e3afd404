"""The load generator: accounts and a service written in-process with the project's own code,
then the HTTP operations a relying party and a browser make, over one httpx connection pool.

Nothing here runs inside the server: the server is a separate process and only its CPU is
measured. Work the client can do ahead (signing client assertions) is done before a window opens.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
from joserfc import jwt
from joserfc.jwk import ECKey

REDIRECT_URI = "https://bench-rp.example.gov.uk/callback"
PASSWORD = "a-long-benchmark-password-42"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class BenchError(RuntimeError):
    """The server answered something other than the happy path: no figure would mean anything."""


@dataclass
class Citizen:
    email: str
    totp_secret: str

    def code(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


@dataclass
class RelyingParty:
    client_id: str
    key: ECKey
    token_endpoint: str

    def assertion(self) -> str:
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.token_endpoint,
                  "iat": now, "exp": now + 900, "jti": str(uuid.uuid4())}
        return jwt.encode({"alg": "ES256", "kid": self.key.kid}, claims, self.key)

    def token_form(self, code: str, assertion: str) -> dict:
        return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                "client_assertion_type": JWT_BEARER, "client_assertion": assertion}

    def authorize_params(self) -> dict:
        return {"response_type": "code", "client_id": self.client_id, "redirect_uri": REDIRECT_URI,
                "scope": "openid email phone", "state": uuid.uuid4().hex, "nonce": uuid.uuid4().hex,
                "vtr": '["Cl.Cm"]'}


# --- setup, in-process, against the server's database ----------------------------------------


async def prepare(settings, accounts: int) -> tuple[RelyingParty, list[Citizen]]:
    """Register one private_key_jwt service and `accounts` accounts with authenticator apps.

    Accounts go through `Accounts.create` with one real argon2id hash (the parameters in use)
    computed once and reused, so setup takes seconds rather than one hash per account.
    """
    from govsignin.onboarding.registration import Registration, register
    from govsignin.services import build_services

    services = build_services(settings, with_templates=False)
    try:
        key = ECKey.generate_key("P-256", private=True)
        key.ensure_kid()
        reg = await register(services, Registration(
            name="Benchmark service", redirect_uris=[REDIRECT_URI],
            public_keys_pem=[key.as_pem(private=False).decode()], require_pkce=False,
        ))
        passwords = services.accounts.passwords
        encoded = passwords.hash_sync(PASSWORD)

        async def precomputed(_password: str) -> str:
            return encoded

        passwords.hash = precomputed
        run = uuid.uuid4().hex[:8]
        citizens = []
        for i in range(accounts):
            citizen = Citizen(f"bench-{run}-{i}@example.com", pyotp.random_base32())
            await services.accounts.create(citizen.email, PASSWORD, None, citizen.totp_secret)
            citizens.append(citizen)
    finally:
        await services.close()
    return RelyingParty(reg["client_id"], key, settings.endpoint("/token")), citizens


# --- operations --------------------------------------------------------------------------------


def _expect(response: httpx.Response, status: int, location: str | None = None) -> None:
    got = response.headers.get("location", "")
    if response.status_code != status or (location is not None and not got.startswith(location)):
        raise BenchError(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                         f"{got or response.text[:300]}")


def _code_from(response: httpx.Response) -> str:
    _expect(response, 302, REDIRECT_URI)
    query = parse_qs(urlsplit(response.headers["location"]).query)
    if "code" not in query:
        raise BenchError(f"no code in {response.headers['location']}")
    return query["code"][0]


async def _page(browser: httpx.AsyncClient, path: str, then: str, **fields) -> None:
    page = await browser.get(path)
    _expect(page, 200)
    match = CSRF.search(page.text)
    if not match:
        raise BenchError(f"{path} has no CSRF token")
    _expect(await browser.post(path, data={"csrf_token": match.group(1), **fields}), 303, then)


async def sign_in(browser: httpx.AsyncClient, rp: RelyingParty, citizen: Citizen, assertion: str) -> None:
    """The whole sign-in: authorize, four pages, auth-code, token and userinfo (12 requests)."""
    _expect(await browser.get("/authorize", params=rp.authorize_params()), 302, "/sign-in-or-create")
    await _page(browser, "/sign-in-or-create", "/enter-email")
    await _page(browser, "/enter-email", "/enter-password", email=citizen.email)
    await _page(browser, "/enter-password", "/enter-authenticator-app-code", password=PASSWORD)
    await _page(browser, "/enter-authenticator-app-code", "/auth-code", code=citizen.code())
    code = _code_from(await browser.get("/auth-code"))
    await token_and_userinfo(browser, rp, code, assertion)


async def token_and_userinfo(http: httpx.AsyncClient, rp: RelyingParty, code: str, assertion: str) -> None:
    response = await http.post("/token", data=rp.token_form(code, assertion))
    _expect(response, 200)
    access_token = response.json()["access_token"]
    _expect(await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}), 200)


async def silent_sso(browser: httpx.AsyncClient, rp: RelyingParty) -> str:
    """An authorize for a signed-in browser: the code comes back at once, no pages."""
    return _code_from(await browser.get("/authorize", params=rp.authorize_params()))


async def token_exchange(http: httpx.AsyncClient, form: dict) -> None:
    response = await http.post("/token", data=form)
    _expect(response, 200)
    if "id_token" not in response.json():
        raise BenchError("token response without id_token")


async def get_ok(http: httpx.AsyncClient, path: str) -> None:
    _expect(await http.get(path), 200)


async def bounded(jobs, concurrency: int) -> list:
    """Run coroutine factories with at most `concurrency` in flight; return their results."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job):
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))
