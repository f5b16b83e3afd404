"""Registering a relying party, with every field checked before anything is written."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from govsignin.audit.tags import EventTag
from govsignin.crypto import keyed_hash
from govsignin.onboarding.claims import LEGACY_CLAIM, LEGACY_SCOPE, REQUESTABLE_CLAIMS, SUPPORTED_SCOPES
from govsignin.onboarding.models import RelyingParty
from govsignin.onboarding.outbound import OutboundFailed, OutboundRefused, check_url
from govsignin.onboarding.registry import CLIENT_ID

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
# One Login refuses redirect URIs with these schemes, or whose query already holds a parameter
# the authorization response adds (simulator: src/validators/validate-redirectUri.ts): a
# `code`, `state` or `error` already in the URI could be mistaken for the real answer.
PROHIBITED_SCHEMES = {"data", "javascript", "vbscript"}
PROHIBITED_QUERY_NAMES = {"code", "state", "error", "error_description", "response"}
LEGACY_SYSTEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # as migration/rows.py reads it


class RegistrationError(ValueError):
    pass


@dataclass
class Registration:
    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    public_keys_pem: list[str] = field(default_factory=list)
    jwks_uri: str | None = None
    secret: bool = False
    scopes: list[str] = field(default_factory=lambda: ["openid", "email", "phone"])
    claims: list[str] = field(default_factory=list)
    backchannel_logout_uri: str | None = None
    sector_identifier_uri: str | None = None
    require_pkce: bool = False
    id_token_alg: str = "ES256"
    permit_missing_nonce: bool = False
    jar_required: bool = False
    client_id: str | None = None
    legacy_system: str | None = None  # the legacy system whose account ids this service owns


def check_redirect_uri_form(uri: str) -> None:
    """An absolute URL One Login could register as a redirect URI (any scheme but the
    prohibited ones; no response parameter already in its query)."""
    try:
        parts = urlsplit(uri)
        names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    except ValueError as exc:
        raise RegistrationError(f"Redirect URI is not a valid URL: {uri!r}") from exc
    if not parts.scheme or not (parts.netloc or parts.path) or parts.scheme.lower() in PROHIBITED_SCHEMES:
        raise RegistrationError(f"Redirect URI must be an absolute URL: {uri!r}")
    prohibited = sorted(names & PROHIBITED_QUERY_NAMES)
    if prohibited:
        raise RegistrationError(f"Redirect URI must not have {', '.join(prohibited)} in its query: {uri!r}")


def _check_url(uri: str, what: str, production: bool) -> None:
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment:
        raise RegistrationError(f"{what} must be an absolute http(s) URL without a fragment: {uri!r}")
    if parts.scheme == "http" and (production or parts.hostname not in LOOPBACK):
        raise RegistrationError(f"{what} must use https (http is allowed only for localhost in development): {uri!r}")


def _import_public_key(pem: str) -> dict:
    for cls in (RSAKey, ECKey):
        try:
            key = cls.import_key(pem)
        except (JoseError, ValueError, TypeError):
            continue
        if key.is_private:
            raise RegistrationError("That is a private key. Register the public key only, and keep the private key secret.")
        if isinstance(key, RSAKey) and key.as_dict()["n"] and len(key.as_dict()["n"]) < 342:
            raise RegistrationError("RSA keys must be at least 2048 bits.")
        if isinstance(key, ECKey) and key.as_dict()["crv"] != "P-256":
            raise RegistrationError("EC keys must be on the P-256 curve (ES256).")
        key.ensure_kid()
        return key.as_dict(private=False)
    raise RegistrationError("The public key is not a PEM-encoded RSA or EC public key.")


def validate(reg: Registration, production: bool) -> None:
    if not reg.name.strip() or len(reg.name) > 200:
        raise RegistrationError("Give the service a name of 1 to 200 characters.")
    if not reg.redirect_uris:
        raise RegistrationError("Give at least one --redirect-uri.")
    for uri in reg.redirect_uris + reg.post_logout_redirect_uris:
        _check_url(uri, "Redirect URI", production)
    for uri in reg.redirect_uris:
        check_redirect_uri_form(uri)
    if reg.backchannel_logout_uri:
        _check_url(reg.backchannel_logout_uri, "Back-channel logout URI", production)
    hosts = {urlsplit(u).hostname for u in reg.redirect_uris}
    if reg.sector_identifier_uri:
        parts = urlsplit(reg.sector_identifier_uri)
        if parts.scheme != "https" or not parts.hostname:
            raise RegistrationError("--sector-identifier-uri must be https://host.")
    elif len(hosts) > 1:
        raise RegistrationError("Redirect URIs on several hosts need a --sector-identifier-uri.")
    methods = sum([bool(reg.public_keys_pem), bool(reg.jwks_uri), reg.secret])
    if methods != 1:
        raise RegistrationError("Give exactly one of --public-key, --jwks-uri or --secret.")
    if reg.jwks_uri:
        _check_url(reg.jwks_uri, "JWKS URI", production)
    if "openid" not in reg.scopes or any(s not in SUPPORTED_SCOPES for s in reg.scopes):
        raise RegistrationError(f"Scopes must include openid and come from: {', '.join(SUPPORTED_SCOPES)}.")
    unknown = [c for c in reg.claims if c not in REQUESTABLE_CLAIMS]
    if unknown:
        raise RegistrationError(f"Unknown claims: {', '.join(unknown)}.")
    if reg.id_token_alg not in ("ES256", "RS256"):
        raise RegistrationError("--id-token-alg must be ES256 or RS256.")
    if reg.legacy_system is not None and not LEGACY_SYSTEM.match(reg.legacy_system):
        raise RegistrationError("--legacy-system must be 1 to 64 letters, digits, '.', '_' or '-' (as in the import file).")
    if (LEGACY_SCOPE in reg.scopes or LEGACY_CLAIM in reg.claims) and reg.legacy_system is None:
        raise RegistrationError(f"Scope {LEGACY_SCOPE!r} and claim {LEGACY_CLAIM!r} are only for a service registered with --legacy-system.")
    if reg.client_id is not None and not (len(reg.client_id) >= 8 and CLIENT_ID.match(reg.client_id)):
        raise RegistrationError("--client-id must be 8 to 64 printable ASCII characters, without spaces.")


async def check_fetched_urls(reg: Registration, production: bool) -> None:
    """In production, the URLs this service will fetch (JWKS, back-channel logout) resolve,
    and only to public addresses; each fetch checks again (onboarding/outbound.py). Development
    and test allow any (their services run on localhost)."""
    if not production:
        return
    for what, uri in (("JWKS URI", reg.jwks_uri), ("Back-channel logout URI", reg.backchannel_logout_uri)):
        if not uri:
            continue
        try:
            await check_url(uri, production)
        except OutboundRefused as exc:
            raise RegistrationError(f"{what} is refused: {exc}. Register a publicly reachable URL.") from exc
        except OutboundFailed as exc:
            raise RegistrationError(f"{what} cannot be checked: {exc}.") from exc


async def register(services, reg: Registration) -> dict:
    settings = services.settings
    validate(reg, settings.env == "production")
    await check_fetched_urls(reg, settings.env == "production")
    scopes, claims = list(reg.scopes), list(reg.claims)
    if reg.legacy_system is not None:  # the owner of a legacy system may ask for its ids
        scopes.append(LEGACY_SCOPE)
        claims.append(LEGACY_CLAIM)
    public_keys = [_import_public_key(pem) for pem in reg.public_keys_pem]
    secret = secrets.token_urlsafe(32) if reg.secret else None  # 256 bits of entropy
    client = RelyingParty(
        client_id=reg.client_id or secrets.token_urlsafe(24),
        name=reg.name.strip(),
        redirect_uris=list(dict.fromkeys(reg.redirect_uris)),
        post_logout_redirect_uris=list(dict.fromkeys(reg.post_logout_redirect_uris)),
        token_auth_method="client_secret_post" if secret else "private_key_jwt",
        public_keys=public_keys,
        jwks_uri=reg.jwks_uri,
        secret_hash=keyed_hash(settings.client_secret_hash_key, secret) if secret else None,
        scopes=list(dict.fromkeys(scopes)),
        claims=list(dict.fromkeys(claims)),
        backchannel_logout_uri=reg.backchannel_logout_uri,
        sector_identifier_uri=reg.sector_identifier_uri,
        subject_type="pairwise",
        require_pkce=reg.require_pkce,
        id_token_alg=reg.id_token_alg,
        permit_missing_nonce=reg.permit_missing_nonce,
        max_age_enabled=True,
        jar_required=reg.jar_required,
        legacy_system=reg.legacy_system,
        client_locs=["P0"],
        is_active=True,
    )
    try:
        async with services.sessionmaker() as db, db.begin():
            db.add(client)
    except IntegrityError as exc:
        if reg.legacy_system is not None and await _legacy_system_taken(services, reg.legacy_system):
            raise RegistrationError(f"Another service already owns the legacy system {reg.legacy_system!r}.") from exc
        raise RegistrationError(f"A service with client_id {client.client_id} already exists.") from exc
    await services.audit.record(EventTag.ServiceRegistered, client_id=client.client_id, name=client.name)
    result = describe(client)
    if secret:
        result["client_secret"] = secret  # shown once; only its keyed hash is stored
    return result


def describe(client: RelyingParty) -> dict:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "token_auth_method": client.token_auth_method,
        "scopes": client.scopes,
        "claims": client.claims,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "sector_identifier_uri": client.sector_identifier_uri,
        "require_pkce": client.require_pkce,
        "id_token_alg": client.id_token_alg,
        "jwks_uri": client.jwks_uri,
        "public_key_ids": [k.get("kid") for k in client.public_keys],
        "legacy_system": client.legacy_system,
    }


async def _legacy_system_taken(services, name: str) -> bool:
    async with services.sessionmaker() as db:
        return (await db.execute(select(RelyingParty.client_id).where(RelyingParty.legacy_system == name))).first() is not None


async def list_services(services) -> list[dict]:
    async with services.sessionmaker() as db:
        rows = (await db.execute(select(RelyingParty).order_by(RelyingParty.created_at))).scalars()
        return [describe(c) for c in rows]
