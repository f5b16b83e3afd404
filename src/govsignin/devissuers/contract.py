"""The credential-issuer contract, the issuer's side, as ipv-cri-common-lambdas implements it
(capabilities-research.md §1.2–1.4): the encrypted request object opens a session, the code is
exchanged for a bearer token by a private_key_jwt client, and /credential/issue returns the
signed VC. Sessions, codes and tokens live in the shared store under `devcri:<name>:`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Awaitable, Callable

from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from govsignin.devissuers.keys import IssuerKeys, did_web
from govsignin.records import dumps, loads

REQUEST_ENCRYPTION = jwe.JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"])
SESSION_TTL = 7200  # SessionTtlMapping in ipv-cri-common-lambdas
CODE_TTL = 600
TOKEN_TTL = 3600  # ACCESS_TOKEN_TTL_IN_SECS default
EVIDENCE_REQUESTED = {  # data-vocab EvidenceRequestedClass; unknown keys refused
    "scoringPolicy": None, "strengthScore": (1, 4), "validityScore": (0, 4),
    "verificationScore": (0, 4), "activityHistoryScore": (0, 4), "identityFraudScore": (0, 3),
}
VC_CONTEXT = ["https://www.w3.org/2018/credentials/v1", "https://vocab.account.gov.uk/contexts/identity-v1.jsonld"]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class ContractError(Exception):
    """A request the contract refuses: `status`, an OAuth `error`, and a sentence."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass(frozen=True)
class CoreRegistration:
    """The one client every development issuer knows: govsignin's identity core."""

    client_id: str
    component_id: str  # `iss` of its request objects
    redirect_uri: Callable[[str], str]  # issuer name -> the callback registered for it
    public_keys: Callable[[], Awaitable[list[dict]]]  # its published request-signing keys


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class IssuerProtocol:
    def __init__(self, name: str, base_url: str, keys: IssuerKeys, core: CoreRegistration, store):
        self.name, self.base_url, self.keys, self.core, self.store = name, base_url, keys, core, store
        self.component_id = base_url
        self.did = did_web(base_url)
        self.kid = f"{self.did}#{keys.signing_hex}"

    def key(self, kind: str, value: str) -> str:
        return f"devcri:{self.name}:{kind}:{value}"

    # --- published documents ------------------------------------------------------------

    def did_document(self) -> dict:
        jwk = {**self.keys.signing.as_dict(private=False), "alg": "ES256", "kid": self.keys.signing_hex}
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
            "id": self.did,
            "assertionMethod": [{"id": self.kid, "type": "JsonWebKey", "controller": self.did, "publicKeyJwk": jwk}],
        }

    def jwks(self) -> dict:
        public = {**self.keys.encryption.as_dict(private=False), "use": "enc", "alg": "RSA-OAEP-256",
                  "kid": self.keys.encryption_kid}
        return {"keys": [public]}

    # --- authorize ------------------------------------------------------------------------

    async def _core_keys(self) -> KeySet:
        return KeySet.import_key_set({"keys": [k for k in await self.core.public_keys() if k.get("kty") == "EC"]})

    async def open_session(self, client_id: str | None, request: str | None) -> tuple[str, dict]:
        """session-request-validator: decrypt, verify, exact aud and iss, client_id and
        redirect_uri as registered, evidence_requested strictly shaped. Returns (id, session)."""
        if not client_id or not request:
            raise ContractError(400, "invalid_request", "client_id and request are required.")
        if client_id != self.core.client_id:
            raise ContractError(400, "unauthorized_client", "This client is not registered with the issuer.")
        try:
            plaintext = jwe.decrypt_compact(request, self.keys.encryption, registry=REQUEST_ENCRYPTION).plaintext
            claims = jwt.decode(plaintext, await self._core_keys(), algorithms=["ES256"]).claims
        except (JoseError, ValueError) as exc:
            raise ContractError(400, "invalid_request_object", "The request object does not decrypt or verify.") from exc
        now = int(time.time())
        problems = [c for c in ("exp", "nbf", "sub", "state") if claims.get(c) in (None, "")]
        if problems:
            raise ContractError(400, "invalid_request_object", f"The request object lacks {', '.join(problems)}.")
        if not isinstance(claims["exp"], int) or claims["exp"] <= now or not isinstance(claims["nbf"], int) or claims["nbf"] > now + 30:
            raise ContractError(400, "invalid_request_object", "The request object has expired or is not yet valid.")
        if claims.get("aud") != self.component_id or claims.get("iss") != self.core.component_id:
            raise ContractError(400, "invalid_request_object", "The request object's aud or iss is wrong.")
        if claims.get("client_id") != client_id:
            raise ContractError(400, "invalid_request_object", "client_id differs from the request object's.")
        if claims.get("redirect_uri") != self.core.redirect_uri(self.name):
            raise ContractError(400, "invalid_request_object", "redirect_uri is not the registered one.")
        evidence = claims.get("evidence_requested")
        if evidence is not None and not valid_evidence_requested(evidence):
            raise ContractError(400, "invalid_request_object", "evidence_requested is malformed.")
        shared = claims.get("shared_claims") or {}
        if not isinstance(shared, dict):
            raise ContractError(400, "invalid_request_object", "shared_claims must be an object.")
        session_id = secrets.token_urlsafe(32)
        session = {
            "sub": claims["sub"], "state": claims["state"], "redirect_uri": claims["redirect_uri"],
            "client_id": client_id, "shared_claims": shared, "evidence_requested": evidence or {},
            "context": claims.get("context"), "journey_id": claims.get("govuk_signin_journey_id"),
            "csrf": secrets.token_urlsafe(24), "step": {},
        }
        await self.store.set(self.key("session", _hash(session_id)), dumps(session), SESSION_TTL)
        return session_id, session

    async def session(self, session_id: str | None) -> dict | None:
        if not session_id:
            return None
        raw = await self.store.get(self.key("session", _hash(session_id)))
        return loads(raw) if raw else None

    async def save_session(self, session_id: str, session: dict) -> None:
        await self.store.set(self.key("session", _hash(session_id)), dumps(session), SESSION_TTL)

    async def end_session(self, session_id: str) -> None:
        await self.store.delete(self.key("session", _hash(session_id)))

    async def issue_code(self, session: dict, credential: dict) -> str:
        """The result of the check, kept under a single-use code: `credential` is
        {"types", "subject", "evidence"} or {"pending": reference}."""
        code = secrets.token_urlsafe(32)
        record = {"sub": session["sub"], "redirect_uri": session["redirect_uri"], "credential": credential}
        await self.store.set(self.key("code", _hash(code)), dumps(record), CODE_TTL)
        return code

    # --- token ----------------------------------------------------------------------------

    async def token(self, form) -> dict:
        if form.get("grant_type") != "authorization_code":
            raise ContractError(400, "unsupported_grant_type", "grant_type must be authorization_code.")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            raise ContractError(401, "invalid_client", "A private_key_jwt client assertion is required.")
        try:
            claims = jwt.decode(form["client_assertion"], await self._core_keys(), algorithms=["ES256"]).claims
        except (JoseError, ValueError) as exc:
            raise ContractError(401, "invalid_client", "The client assertion does not verify.") from exc
        now = int(time.time())
        if not (claims.get("iss") == claims.get("sub") == self.core.client_id) or claims.get("aud") != self.component_id:
            raise ContractError(401, "invalid_client", "The client assertion's iss, sub or aud is wrong.")
        exp, jti = claims.get("exp"), claims.get("jti")
        if not isinstance(exp, int) or not now < exp <= now + 3600 or not isinstance(jti, str) or not jti:
            raise ContractError(401, "invalid_client", "The client assertion lacks a valid exp or jti.")
        if not await self.store.add(self.key("jti", _hash(jti)), "1", exp - now + 60):
            raise ContractError(401, "invalid_client", "The client assertion was already used.")
        raw = await self.store.pop(self.key("code", _hash(form.get("code") or "")))
        record = loads(raw) if raw else None
        if record is None:
            raise ContractError(400, "invalid_grant", "The code is unknown, used or expired.")
        if form.get("redirect_uri") != record["redirect_uri"]:
            raise ContractError(400, "invalid_grant", "redirect_uri differs from the authorization request's.")
        access_token = secrets.token_urlsafe(32)
        await self.store.set(self.key("token", _hash(access_token)), dumps(record), TOKEN_TTL)
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_TTL}

    # --- credential -----------------------------------------------------------------------

    async def redeem(self, authorization: str | None) -> dict:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ContractError(401, "invalid_token", "A bearer access token is required.")
        raw = await self.store.pop(self.key("token", _hash(token.strip())))
        if raw is None:
            raise ContractError(401, "invalid_token", "The access token is unknown, used or expired.")
        return loads(raw)

    def sign(self, sub: str, credential: dict) -> str:
        claims = {
            "iss": self.component_id, "sub": sub, "nbf": int(time.time()), "jti": f"urn:uuid:{uuid.uuid4()}",
            "vc": {"@context": VC_CONTEXT, "type": credential["types"], "credentialSubject": credential["subject"]},
        }
        if credential.get("evidence"):
            claims["vc"]["evidence"] = credential["evidence"]
        return jwt.encode({"typ": "JWT", "alg": "ES256", "kid": self.kid}, claims, self.keys.signing)


def valid_evidence_requested(evidence) -> bool:
    if not isinstance(evidence, dict) or not evidence or set(evidence) - EVIDENCE_REQUESTED.keys():
        return False
    for key, value in evidence.items():
        if key == "scoringPolicy":
            if value != "gpg45":
                return False
        elif not isinstance(value, int) or isinstance(value, bool) or not EVIDENCE_REQUESTED[key][0] <= value <= EVIDENCE_REQUESTED[key][1]:
            return False
    return True


def public_jwk(key: ECKey) -> dict:
    return key.as_dict(private=False)
