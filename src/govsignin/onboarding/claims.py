"""The claims registry: every scope and claim has one entry (name, scope, description).

Identity claims are listed so services can be registered for them now; their values arrive
with identity proving (identity/).
"""

from __future__ import annotations

from dataclasses import dataclass

VOCAB = "https://vocab.account.gov.uk/v1/"


@dataclass(frozen=True)
class Claim:
    name: str
    scope: str | None  # the scope that releases it; None = requested via `claims` only
    description_en: str
    description_cy: str


CLAIMS = [
    Claim("sub", "openid", "A unique identifier for you in this service", "Dynodwr unigryw i chi yn y gwasanaeth hwn"),
    Claim("email", "email", "Your email address", "Eich cyfeiriad e-bost"),
    Claim("email_verified", "email", "Whether your email address is confirmed", "P'un a yw eich cyfeiriad e-bost wedi'i gadarnhau"),
    Claim("phone_number", "phone", "Your phone number", "Eich rhif ffôn"),
    Claim("phone_number_verified", "phone", "Whether your phone number is confirmed", "P'un a yw eich rhif ffôn wedi'i gadarnhau"),
    Claim(VOCAB + "coreIdentityJWT", None, "Your name and date of birth, checked", "Eich enw a'ch dyddiad geni, wedi'u gwirio"),
    Claim(VOCAB + "address", None, "Your address", "Eich cyfeiriad"),
    Claim(VOCAB + "passport", None, "Your passport details", "Manylion eich pasbort"),
    Claim(VOCAB + "drivingPermit", None, "Your driving licence details", "Manylion eich trwydded yrru"),
    # Only for the service that owns the citizen's legacy system (migration/links.py).
    Claim("legacy_subject_id", "legacy", "Your account number in this service's old system", "Rhif eich cyfrif yn hen system y gwasanaeth hwn"),
    Claim(VOCAB + "returnCode", None, "Why your identity could not be checked", "Pam nad oedd modd gwirio pwy ydych chi"),
]
CLAIMS_BY_NAME = {c.name: c for c in CLAIMS}
LEGACY_CLAIM, LEGACY_SCOPE = "legacy_subject_id", "legacy"
# Through `claims` (userinfo, or id_token for the legacy id alone) as well as through a scope.
REQUESTABLE_CLAIMS = frozenset(c.name for c in CLAIMS if c.scope is None) | {LEGACY_CLAIM}
ID_TOKEN_CLAIMS = frozenset({LEGACY_CLAIM})  # the only claims a service may ask for in the ID token
SUPPORTED_SCOPES = ("openid", "email", "phone", LEGACY_SCOPE)


def scope_claims(scopes: list[str]) -> list[str]:
    return [c.name for c in CLAIMS if c.scope in scopes]
