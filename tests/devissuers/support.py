"""A core that drives the development issuers over HTTP as the provider will: request
objects from identity/cri_client.py, the tester's form posts, the token exchange, the
credential, and the VC checks. The store is in memory; the contract is all HTTP."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.routing import Mount

from govsignin.config import Settings
from govsignin.devissuers.app import DevIssuers
from govsignin.devissuers.contract import CoreRegistration
from govsignin.devissuers.register import Register
from govsignin.identity import cri_client
from govsignin.identity.async_credentials import AsyncCredentials
from govsignin.web.templating import Templates

ISSUER = "http://localhost:8000"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class MemoryStore:
    def __init__(self):
        self.data: dict[str, tuple[str, float]] = {}

    def _live(self, key):
        item = self.data.get(key)
        if item and item[1] < time.monotonic():
            del self.data[key]
            return None
        return item

    async def get(self, key):
        item = self._live(key)
        return item[0] if item else None

    async def set(self, key, value, ttl):
        self.data[key] = (value, time.monotonic() + ttl)

    async def add(self, key, value, ttl):
        if self._live(key):
            return False
        await self.set(key, value, ttl)
        return True

    async def pop(self, key):
        item = self._live(key)
        self.data.pop(key, None)
        return item[0] if item else None

    async def delete(self, *keys):
        for key in keys:
            self.data.pop(key, None)


class Core:
    def __init__(self, tmp_path):
        self.key = ECKey.generate_key("P-256", private=True)
        self.settings = Settings(env="development", issuer=ISSUER, dev_issuers_key_dir=str(tmp_path / "keys"))
        self.store = MemoryStore()
        self.queue = AsyncCredentials(self.store)

        async def keys():
            return [{**self.key.as_dict(private=False), "kid": "core-1"}]

        self.registration = CoreRegistration("govsignin", ISSUER, lambda name: f"{ISSUER}/identity/callback/{name}", keys)
        self.issuers = DevIssuers(self.settings, self.store, Templates(self.settings), self.registration, self.queue.deliver)
        self.configs = self.issuers.cri_configs()
        self.app = Starlette(routes=[Mount("/dev/cri", app=self.issuers.app())])
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=ISSUER)
        self.register = Register.load()

    def core_client(self, name):
        return cri_client.CoreClient(ISSUER, self.registration.redirect_uri(name), "core-1", self.key)

    async def start(self, name, sub, shared_claims, evidence_requested=None) -> httpx.Response:
        url = cri_client.authorization_url(
            self.configs[name], self.core_client(name), sub=sub, state=f"state-{name}", journey_id="j",
            shared_claims=shared_claims, evidence_requested=evidence_requested,
        )
        return await self.http.get(url)

    async def page(self, name) -> tuple[str, str]:
        response = await self.http.get(f"/dev/cri/{name}/check")
        assert response.status_code == 200, response.text
        return response.text, CSRF.search(response.text).group(1)

    async def post(self, name, form) -> httpx.Response:
        _, token = await self.page(name)
        return await self.http.post(f"/dev/cri/{name}/check", data={**form, "csrf_token": token})

    async def redeem(self, name, response, sub) -> list:
        """The callback: the code for a token, the token for credentials, each VC verified."""
        assert response.status_code == 302, response.text
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["state"] == [f"state-{name}"]
        assert "error" not in query, query
        token = await cri_client.exchange_code(self.http, self.configs[name], self.core_client(name), query["code"][0])
        answer = await cri_client.fetch_credentials(self.http, self.configs[name], token)
        return [
            await cri_client.verify_credential(jwt, self.configs[name], cri_client.IssuerKeys(), expected_sub=sub)
            for jwt in answer.jwts
        ] or answer

    async def collect(self, name, sub) -> list:
        return [
            await cri_client.verify_credential(jwt, self.configs[name], cri_client.IssuerKeys(), expected_sub=sub)
            for jwt in await self.queue.collect(sub, name)
        ]


def claims(person, address=None) -> dict:
    shared = person.subject()
    if address:
        shared["address"] = address
    return shared


def text(response) -> str:
    return html.unescape(response.text)
