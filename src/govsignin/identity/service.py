"""The identity services a journey and the protocol use, built once per process:
the identity key ring and core identity signer, the configured credential issuers with their
back-channel client, the queue of asynchronous credentials, and `assess` with the settings'
continuity allowances."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from govsignin.identity import cri_client
from govsignin.identity.assessment import Outcome, assess
from govsignin.identity.async_credentials import AsyncCredentials
from govsignin.identity.continuity import Allowances
from govsignin.identity.core_identity import DID_CACHE_CONTROL, CoreIdentity
from govsignin.identity.credentials import Credential
from govsignin.identity.cri_client import CriError, InvalidCredential, IssuerKeys
from govsignin.identity.cri_config import CriConfig, parse_cri_configs
from govsignin.identity.stored import StoredIdentities
from govsignin.keys.service import KeyService

if TYPE_CHECKING:  # httpx (with click and rich for its CLI) is ~4 MiB per worker: imported on first use
    import httpx

VC_REPLAY_SECONDS = 30 * 86400  # a VC's jti is remembered this long: the same VC is taken once


class UnknownIssuer(CriError):
    pass


class Identity:
    def __init__(self, settings, sessionmaker, store):
        self.settings = settings
        self.store = store
        self.keys = KeyService(settings, sessionmaker, purpose="identity", algorithms=("ES256",))
        self.core = CoreIdentity(settings, self.keys)
        self.issuers: dict[str, CriConfig] = parse_cri_configs(settings.credential_issuers)
        self.async_credentials = AsyncCredentials(store)
        self.stored = StoredIdentities(settings, sessionmaker)
        self.allowances = Allowances(settings.coi_family_name_chars, settings.coi_given_name_chars)
        self._http: httpx.AsyncClient | None = None
        self._issuer_keys: IssuerKeys | None = None

    def register(self, configs: dict[str, CriConfig]) -> None:
        """Issuers registered by the process itself (the development ones); configured issuers
        of the same name win."""
        for name, config in configs.items():
            self.issuers.setdefault(name, config)

    @property
    def http(self) -> httpx.AsyncClient:
        """The back channel to issuers: one client per process, with the configured timeout."""
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(timeout=self.settings.credential_issuer_timeout, follow_redirects=False)
        return self._http

    def use_http(self, client: httpx.AsyncClient) -> None:
        """Another back-channel client (tests reach in-process issuers through ASGI)."""
        self._http, self._issuer_keys = client, None

    @property
    def issuer_keys(self) -> IssuerKeys:
        if self._issuer_keys is None:
            self._issuer_keys = IssuerKeys(self.http)
        return self._issuer_keys

    def issuer(self, name: str) -> CriConfig:
        try:
            return self.issuers[name]
        except KeyError:
            raise UnknownIssuer(f"no credential issuer named {name!r} is configured") from None

    async def authorization_url(self, name: str, *, sub: str, state: str, journey_id: str, shared_claims: dict,
                                evidence_requested: dict | None = None, context: str | None = None) -> str:
        """Where to send the browser to issuer `name` (the journey keeps `state`)."""
        return cri_client.authorization_url(
            self.issuer(name), await self.core.core_client(name), sub=sub, state=state, journey_id=journey_id,
            shared_claims=shared_claims, evidence_requested=evidence_requested, context=context,
        )

    async def receive(self, name: str, code: str, sub: str) -> tuple[list[Credential], bool]:
        """The callback's code → token → credentials, every VC verified and taken once.
        Returns (credentials, pending). Raises CriUnavailable or InvalidCredential."""
        config = self.issuer(name)
        core = await self.core.core_client(name)
        token = await cri_client.exchange_code(self.http, config, core, code)
        answer = await cri_client.fetch_credentials(self.http, config, token)
        return await self.verify_all(name, answer.jwts, sub), answer.pending

    async def collect_async(self, name: str, sub: str) -> list[Credential]:
        """Credentials that arrived later for this citizen (the Post Office's result)."""
        return await self.verify_all(name, await self.async_credentials.collect(sub, name), sub)

    async def verify_all(self, name: str, jwts: list[str], sub: str) -> list[Credential]:
        config = self.issuer(name)
        credentials = [
            await cri_client.verify_credential(jwt, config, self.issuer_keys, expected_sub=sub, leeway=self.settings.clock_skew)
            for jwt in jwts
        ]
        for credential in credentials:
            seen = "identity:vc-jti:" + hashlib.sha256(f"{config.component_id} {credential.jti}".encode()).hexdigest()
            if credential.jti and not await self.store.add(seen, "1", VC_REPLAY_SECONDS):
                raise InvalidCredential(f"{name}: this credential was already received")
        return credentials

    def assess(self, credentials, vot: str, **options) -> Outcome:
        return assess(credentials, vot, allowances=self.allowances, **options)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()


async def did_json(request):
    """GET /.well-known/did.json: the identity keys, in assertionMethod (tech-docs' shape)."""
    from starlette.responses import JSONResponse

    document = await request.app.state.services.identity.core.did_document()
    return JSONResponse(document, headers={"Cache-Control": DID_CACHE_CONTROL})
