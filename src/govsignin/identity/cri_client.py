"""The credential-issuer (CRI) contract, govsignin's side (capabilities-research.md §1.2–1.5).

1. `authorization_url()`: the browser goes to the issuer with `client_id` and `request`, a JWT
   signed ES256 by govsignin and encrypted to the issuer (RSA-OAEP-256 / A256GCM), carrying
   `shared_claims` and `evidence_requested`.
2. `exchange_code()`: the code for an access token, the client authenticated by `private_key_jwt`.
3. `fetch_credentials()`: POST /credential/issue with the bearer token: one VC
   (`application/jwt`) or `{sub, credentialJWT: [...], credentialStatus?}`.
4. `verify_credential()`: every VC's ES256 signature against that issuer's registered key (or
   its did:web document at a fixed URL, never generic DID resolution), a `kid` that is a did:web
   URL, exact `iss` and `sub`, `nbf`, and the `vc` shape. Anything else raises InvalidCredential.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from typing import TYPE_CHECKING

from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from govsignin.identity.cri_config import CriConfig

if TYPE_CHECKING:  # httpx (with click and rich for its CLI) is ~4 MiB per worker: imported on first use
    import httpx
from govsignin.identity.credentials import Credential

# joserfc refuses RSA-OAEP-256 unless it is named: the contract's algorithms, and only those.
REQUEST_ENCRYPTION = jwe.JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"])
VC_TYPES = frozenset({"IdentityCheckCredential", "AddressCredential", "RiskAssessmentCredential", "SecurityCheckCredential"})
SCORE_RANGES = {
    "strengthScore": (1, 4), "validityScore": (0, 4), "activityHistoryScore": (0, 4),
    "identityFraudScore": (0, 3), "verificationScore": (0, 4),
}
CREDENTIAL_JWT = "https://vocab.account.gov.uk/v1/credentialJWT"
CREDENTIAL_STATUS = "https://vocab.account.gov.uk/v1/credentialStatus"
DID_CACHE_SECONDS = 300
REQUEST_TTL = 3600  # jwtTtlSeconds in ipv-core-back's local config


class CriError(Exception):
    """The issuer could not be used; `message` is safe to log (no personal data, no tokens)."""


class CriUnavailable(CriError):
    """Down, slow or answering errors: try again later, or another route."""


class InvalidCredential(CriError):
    """A VC that must not be trusted: tampered, expired, wrongly signed, for someone else."""


@dataclass(frozen=True)
class CoreClient:
    """govsignin as every issuer's client: its component id (`iss` of requests), its key."""

    component_id: str
    redirect_uri: str  # the callback, e.g. https://…/identity/callback/<name>
    kid: str
    key: ECKey


@dataclass(frozen=True)
class CredentialResponse:
    jwts: list[str]
    pending: bool = False  # an asynchronous issuer will send the VC later


def _now() -> int:
    return int(time.time())


def authorization_url(
    config: CriConfig, core: CoreClient, *, sub: str, state: str, journey_id: str,
    shared_claims: dict, evidence_requested: dict | None = None, context: str | None = None,
    now: int | None = None,
) -> str:
    now = now or _now()
    claims = {
        "iss": core.component_id, "aud": config.component_id, "sub": sub, "client_id": config.client_id,
        "response_type": "code", "redirect_uri": core.redirect_uri, "state": state,
        "iat": now, "nbf": now, "exp": now + REQUEST_TTL, "govuk_signin_journey_id": journey_id,
        "shared_claims": shared_claims,
    }
    if evidence_requested:
        claims["evidence_requested"] = evidence_requested
    if context:
        claims["context"] = context
    signed = jwt.encode({"alg": "ES256", "typ": "JWT", "kid": core.kid}, claims, core.key)
    encryption_key = RSAKey.import_key(config.encryption_jwk)
    header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT"}
    if config.encryption_jwk.get("kid"):
        header["kid"] = config.encryption_jwk["kid"]
    request = jwe.encrypt_compact(header, signed.encode(), encryption_key, registry=REQUEST_ENCRYPTION)
    separator = "&" if "?" in config.authorize_url else "?"
    return config.authorize_url + separator + urlencode({"client_id": config.client_id, "request": request})


def client_assertion(config: CriConfig, core: CoreClient, now: int | None = None) -> str:
    """private_key_jwt as ipv-core-back builds it: iss = sub = client id, aud the component id."""
    now = now or _now()
    claims = {
        "iss": config.client_id, "sub": config.client_id, "aud": config.component_id,
        "exp": now + 300, "jti": secrets.token_urlsafe(24),
    }
    return jwt.encode({"alg": "ES256", "typ": "JWT", "kid": core.kid}, claims, core.key)


def _headers(config: CriConfig, **extra) -> dict:
    return {**extra, **({"x-api-key": config.api_key} if config.api_key else {})}


async def exchange_code(http: httpx.AsyncClient, config: CriConfig, core: CoreClient, code: str) -> str:
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": core.redirect_uri,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(config, core),
    }
    import httpx

    try:
        response = await http.post(config.token_url, data=form, headers=_headers(config))
    except httpx.HTTPError as exc:
        raise CriUnavailable(f"{config.name}: token request failed ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise CriUnavailable(f"{config.name}: token endpoint answered {response.status_code}")
    try:
        body = response.json()
        token = body["access_token"]
        assert isinstance(token, str) and token and body.get("token_type", "").lower() == "bearer"
    except (ValueError, KeyError, AssertionError) as exc:
        raise CriUnavailable(f"{config.name}: the token response is not a bearer token") from exc
    return token


async def fetch_credentials(http: httpx.AsyncClient, config: CriConfig, access_token: str) -> CredentialResponse:
    import httpx

    headers = _headers(config, authorization=f"Bearer {access_token}", accept="application/jwt, application/json")
    try:
        response = await http.post(config.credential_url, headers=headers)
    except httpx.HTTPError as exc:
        raise CriUnavailable(f"{config.name}: credential request failed ({type(exc).__name__})") from exc
    if response.status_code not in (200, 201):
        raise CriUnavailable(f"{config.name}: credential endpoint answered {response.status_code}")
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    if kind == "application/jwt":
        return CredentialResponse([response.text.strip()])
    try:
        body = response.json()
        jwts = body.get(CREDENTIAL_JWT) or []
        assert isinstance(jwts, list) and all(isinstance(j, str) for j in jwts)
    except (ValueError, AttributeError, AssertionError) as exc:
        raise CriUnavailable(f"{config.name}: the credential response has no credentials") from exc
    return CredentialResponse(jwts, pending=body.get(CREDENTIAL_STATUS) == "pending")


class IssuerKeys:
    """The key each issuer signs VCs with: configured, or from its DID document (fixed URL,
    cached for DID_CACHE_SECONDS; an unknown kid refetches at most once a cache period)."""

    def __init__(self, http: httpx.AsyncClient | None = None):
        self.http = http
        self._documents: dict[str, tuple[float, dict]] = {}

    async def key_for(self, config: CriConfig, kid: str) -> ECKey:
        if config.signing_jwk:
            key = _ec_public(config.signing_jwk, config.name)
            expected = config.signing_jwk.get("kid")
            if expected and kid.split("#", 1)[-1] != expected.split("#", 1)[-1]:
                raise InvalidCredential(f"{config.name}: the credential's kid is not the issuer's key")
            return key
        document = await self._document(config)
        jwk = _assertion_key(document, kid)
        if jwk is None and time.monotonic() - self._documents[config.did_url][0] > 1:
            self._documents.pop(config.did_url, None)  # rotated: look once more
            jwk = _assertion_key(await self._document(config), kid)
        if jwk is None:
            raise InvalidCredential(f"{config.name}: the credential's kid is not in the issuer's DID document")
        return _ec_public(jwk, config.name)

    async def _document(self, config: CriConfig) -> dict:
        cached = self._documents.get(config.did_url)
        if cached and time.monotonic() - cached[0] < DID_CACHE_SECONDS:
            return cached[1]
        if self.http is None:
            raise CriUnavailable(f"{config.name}: no HTTP client to fetch its DID document")
        import httpx

        try:
            response = await self.http.get(config.did_url)
            document = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            raise CriUnavailable(f"{config.name}: its DID document could not be fetched") from exc
        if not isinstance(document, dict):
            raise CriUnavailable(f"{config.name}: its DID document could not be fetched")
        self._documents[config.did_url] = (time.monotonic(), document)
        return document


def _assertion_key(document: dict, kid: str) -> dict | None:
    """tech-docs' rule: the kid's controller part equals the document's id, and the key is the
    assertionMethod whose id is the kid."""
    if document.get("id") != kid.split("#", 1)[0]:
        return None
    for method in document.get("assertionMethod") or ():
        if isinstance(method, dict) and method.get("id") == kid and isinstance(method.get("publicKeyJwk"), dict):
            return method["publicKeyJwk"]
    return None


def _ec_public(jwk: dict, name: str) -> ECKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or "d" in jwk:
        raise InvalidCredential(f"{name}: the registered key is not a public P-256 key")
    return ECKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "y")})


def _header(token: str) -> dict:
    from joserfc.jws import extract_compact

    try:
        return extract_compact(token.encode()).protected
    except (JoseError, ValueError) as exc:
        raise InvalidCredential("the credential is not a compact JWS") from exc


async def verify_credential(
    token: str, config: CriConfig, keys: IssuerKeys, *, expected_sub: str,
    now: int | None = None, leeway: int = 30,
) -> Credential:
    header = _header(token)
    if header.get("alg") != "ES256":
        raise InvalidCredential(f"{config.name}: the credential is not signed ES256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.startswith("did:web:") or "#" not in kid:
        raise InvalidCredential(f"{config.name}: the credential's kid is not a did:web URL")
    key = await keys.key_for(config, kid)
    try:
        claims = jwt.decode(token, key, algorithms=["ES256"]).claims
    except (JoseError, ValueError) as exc:
        raise InvalidCredential(f"{config.name}: the credential's signature does not verify") from exc
    now = now or _now()
    if claims.get("iss") != config.component_id:
        raise InvalidCredential(f"{config.name}: the credential's iss is not the issuer's")
    if claims.get("sub") != expected_sub:
        raise InvalidCredential(f"{config.name}: the credential is for another person")
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if not isinstance(nbf, int) or nbf > now + leeway:
        raise InvalidCredential(f"{config.name}: the credential's nbf is missing or in the future")
    if exp is not None and (not isinstance(exp, int) or exp <= now - leeway):
        raise InvalidCredential(f"{config.name}: the credential has expired")
    types, subject, evidence = _vc_shape(claims.get("vc"), config.name)
    return Credential(
        cri=config.kind, issuer=claims["iss"], subject=subject, evidence=evidence,
        issued_at=dt.datetime.fromtimestamp(nbf, dt.timezone.utc), types=types, jwt=token,
        jti=claims.get("jti") if isinstance(claims.get("jti"), str) else None,
    )


def _vc_shape(vc, name: str) -> tuple[tuple[str, ...], dict, tuple[dict, ...]]:
    def bad(what: str) -> InvalidCredential:
        return InvalidCredential(f"{name}: the credential's vc {what}")

    if not isinstance(vc, dict):
        raise bad("claim is missing")
    types = vc.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types or not VC_TYPES & set(types):
        raise bad("type is not a known credential type")
    subject = vc.get("credentialSubject", {})
    if not isinstance(subject, dict):
        raise bad("credentialSubject is not an object")
    for claim in ("name", "birthDate", "address", "passport", "drivingPermit", "socialSecurityRecord", "bankAccount"):
        value = subject.get(claim)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            raise bad(f"credentialSubject.{claim} is not a list of objects")
    for name_ in subject.get("name") or ():
        parts = name_.get("nameParts")
        if not isinstance(parts, list) or not all(
            isinstance(p, dict) and p.get("type") in ("GivenName", "FamilyName") and isinstance(p.get("value"), str)
            for p in parts
        ):
            raise bad("name has malformed nameParts")
    evidence = vc.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(e, dict) for e in evidence):
        raise bad("evidence is not a list of objects")
    if "IdentityCheckCredential" in types and not evidence:
        raise bad("has no evidence")
    for check in evidence:
        for score, (low, high) in SCORE_RANGES.items():
            value = check.get(score)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
                raise bad(f"evidence {score} is out of range")
        ci = check.get("ci")
        if ci is not None and not (isinstance(ci, list) and all(isinstance(c, str) for c in ci)):
            raise bad("evidence ci is not a list of codes")
    return tuple(types), subject, tuple(evidence)
