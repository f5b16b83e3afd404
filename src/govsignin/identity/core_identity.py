"""The core identity JWT and the DID document that publishes its key (onelogin-contract.md §1.6,
capabilities-research.md §1.5).

A dedicated ES256 key (the `identity` ring of keys/, with its rotation) signs it; the header's
`kid` is `did:web:<host>#<hex>`, and `/.well-known/did.json` lists every published identity key
in `assertionMethod`, so a service resolves the key from that fixed URL. The same key signs
govsignin's requests to credential issuers (cri_client.CoreClient).
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlsplit

from joserfc import jwt

from govsignin.identity.cri_client import CoreClient
from govsignin.keys.service import KeyService

CORE_IDENTITY_TTL = 1800  # "valid for 30 minutes"
DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"]
DID_CACHE_CONTROL = "max-age=3600, private"


def did_for(issuer_url: str) -> str:
    """did:web of the issuer's host (a port %-encoded): its document is at /.well-known/did.json."""
    return "did:web:" + quote(urlsplit(issuer_url).netloc, safe="")


class CoreIdentity:
    def __init__(self, settings, keys: KeyService):
        self.settings = settings
        self.keys = keys
        self.did = did_for(settings.issuer_url())

    async def _ring(self):
        ring = await self.keys.ring()
        if "ES256" not in ring.signing:  # first use: the identity ring is made on demand
            await self.keys.ensure_keys()
            ring = await self.keys.ring()
        return ring

    async def signing_key(self) -> tuple[str, object]:
        """(kid as did:web URL, private key) of the current identity key."""
        kid, key = (await self._ring()).signing["ES256"]
        return f"{self.did}#{kid}", key

    async def did_document(self) -> dict:
        ring = await self._ring()
        methods = [
            {
                "id": f"{self.did}#{kid}",
                "type": "JsonWebKey",
                "controller": self.did,
                "publicKeyJwk": {**public.as_dict(private=False), "alg": "ES256", "kid": kid},
            }
            for kid, public in ring.verifying.items()
        ]
        return {"@context": DID_CONTEXT, "id": self.did, "assertionMethod": methods}

    async def core_identity_jwt(self, *, sub: str, aud: str, vot: str, name: list[dict], birth_date: list[dict],
                                now: int | None = None) -> str:
        if vot not in ("P1", "P2"):
            raise ValueError(f"a core identity is for P1 or P2, not {vot!r}")
        now = now or int(time.time())
        kid, key = await self.signing_key()
        claims = {
            "sub": sub, "aud": aud, "iss": self.settings.issuer_url(), "nbf": now, "iat": now,
            "exp": now + CORE_IDENTITY_TTL, "vot": vot, "vtm": self.settings.endpoint("/trustmark"),
            "vc": {
                "type": ["VerifiableCredential", "VerifiableIdentityCredential"],
                "credentialSubject": {"name": name, "birthDate": birth_date},
            },
        }
        return jwt.encode({"alg": "ES256", "typ": "JWT", "kid": kid}, claims, key)

    async def core_client(self, cri_name: str) -> CoreClient:
        """govsignin as a credential issuer's client: signs with the identity key."""
        kid, key = await self.signing_key()
        return CoreClient(self.settings.issuer_url(), self.settings.endpoint(f"/identity/callback/{cri_name}"), kid, key)

    async def public_jwks(self) -> list[dict]:
        """The identity keys a credential issuer verifies request objects with."""
        ring = await self._ring()
        return [{**public.as_dict(private=False), "kid": f"{self.did}#{kid}"} for kid, public in ring.verifying.items()]
