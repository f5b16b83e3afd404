"""The two example services: what makes each one different.

Between them they exercise both client key types (ES256 and RS256), both ID-token algorithms,
both credential levels (``Cl.Cm`` asks for the authenticator app, ``Cl`` does not) and pairwise
subjects across two sectors.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    slug: str
    name: str
    port: int
    # algorithm of the service's private_key_jwt client key; also names the key type
    client_key_alg: str
    # what the service asks govsignin to sign its ID tokens with
    id_token_alg: str
    # the credential level the service asks for, as the `vtr` JSON array string
    vtr: str
    sector_identifier_uri: str
    summary: str
    bullets: tuple[str, ...]

    @property
    def vot(self) -> str:
        """The level the ID token's `vot` claim must carry for this service."""
        return self.vtr.strip('[]"')


PENSION = ServiceSpec(
    slug="pension",
    name="Check your State Pension",
    port=8001,
    client_key_alg="ES256",
    id_token_alg="ES256",
    vtr='["Cl.Cm"]',
    sector_identifier_uri="https://pension.example.gov.uk",
    summary="Use this service to find out how much State Pension you could get and when you can get it.",
    bullets=(
        "how much State Pension you could get",
        "when you can get it",
        "how to increase it, if you can",
    ),
)

FISHING = ServiceSpec(
    slug="fishing",
    name="Apply for a fishing licence",
    port=8002,
    client_key_alg="RS256",
    id_token_alg="RS256",
    vtr='["Cl"]',
    sector_identifier_uri="https://fishing.example.gov.uk",
    summary="You need a rod fishing licence to fish for salmon, trout, freshwater fish, smelt or eel "
    "in England.",
    bullets=(
        "a 1-day, 8-day or 12-month licence",
        "licences for coarse fish and non-migratory trout",
        "concessions if you are over 66 or disabled",
    ),
)

SERVICES: dict[str, ServiceSpec] = {spec.slug: spec for spec in (PENSION, FISHING)}
