"""The identity services a journey and the protocol use, built once per process:
the identity key ring and core identity signer, the configured credential issuers with their
back-channel client, the queue of asynchronous credentials, and `assess` with the settings'
continuity allowances."""

from __future__ import annotations

import httpx

from govsignin.identity.assessment import Outcome, assess
from govsignin.identity.async_credentials import AsyncCredentials
from govsignin.identity.continuity import Allowances
from govsignin.identity.core_identity import DID_CACHE_CONTROL, CoreIdentity
from govsignin.identity.cri_client import IssuerKeys
from govsignin.identity.cri_config import CriConfig, parse_cri_configs
from govsignin.keys.service import KeyService


class Identity:
    def __init__(self, settings, sessionmaker, store):
        self.settings = settings
        self.keys = KeyService(settings, sessionmaker, purpose="identity", algorithms=("ES256",))
        self.core = CoreIdentity(settings, self.keys)
        self.issuers: dict[str, CriConfig] = parse_cri_configs(settings.credential_issuers)
        self.async_credentials = AsyncCredentials(store)
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
            self._http = httpx.AsyncClient(timeout=self.settings.credential_issuer_timeout, follow_redirects=False)
        return self._http

    @property
    def issuer_keys(self) -> IssuerKeys:
        if self._issuer_keys is None:
            self._issuer_keys = IssuerKeys(self.http)
        return self._issuer_keys

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
