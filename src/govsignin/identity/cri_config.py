"""Credential issuers by configuration: what govsignin needs to know to use one.

GOVSIGNIN_CREDENTIAL_ISSUERS is JSON (or the path of a JSON file) naming each issuer:

    {"passport": {"kind": "passport", "client_id": "govsignin",
                  "component_id": "https://passport.example.gov.uk",
                  "authorize_url": "https://…/oauth2/authorize", "token_url": "https://…/token",
                  "credential_url": "https://…/credential/issue",
                  "signing_jwk": {…EC P-256 public key…}  or  "did_url": "https://…/.well-known/did.json",
                  "encryption_jwk": {…RSA public key…}, "api_key": "…" (optional)}}

A real passport or driving-licence service plugs in by adding an entry; nothing else changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from govsignin.identity.credentials import ISSUER_KINDS


class CriConfigError(ValueError):
    pass


@dataclass(frozen=True)
class CriConfig:
    name: str
    kind: str  # what it checks (identity.credentials.ISSUER_KINDS): decides how its VCs count
    client_id: str  # govsignin's client id at the issuer
    component_id: str  # the issuer's own id: `aud` of our requests, exact `iss` of its VCs
    authorize_url: str
    token_url: str
    credential_url: str
    encryption_jwk: dict  # the issuer's RSA public key: request objects are encrypted to it
    signing_jwk: dict | None = None  # the issuer's EC public key its VCs are verified with …
    did_url: str | None = None  # … or the fixed URL of its DID document
    api_key: str | None = field(default=None, repr=False)  # sent as x-api-key, if the issuer wants one
    asynchronous: bool = False  # the VC arrives later (Post Office)


REQUIRED = ("kind", "client_id", "component_id", "authorize_url", "token_url", "credential_url", "encryption_jwk")
OPTIONAL = ("signing_jwk", "did_url", "api_key", "asynchronous")


def parse_cri_configs(text: str | None) -> dict[str, CriConfig]:
    if not text or not text.strip():
        return {}
    stripped = text.strip()
    if not stripped.startswith("{"):
        try:
            stripped = Path(stripped).read_text()
        except OSError as exc:
            raise CriConfigError(f"GOVSIGNIN_CREDENTIAL_ISSUERS: cannot read {text!r}: {exc.strerror}.") from exc
    try:
        raw = json.loads(stripped)
    except ValueError as exc:
        raise CriConfigError(f"GOVSIGNIN_CREDENTIAL_ISSUERS is not valid JSON: {exc}.") from exc
    if not isinstance(raw, dict):
        raise CriConfigError("GOVSIGNIN_CREDENTIAL_ISSUERS must be a JSON object of issuers by name.")
    return {name: cri_config(name, entry) for name, entry in raw.items()}


def cri_config(name: str, entry) -> CriConfig:
    where = f"GOVSIGNIN_CREDENTIAL_ISSUERS[{name!r}]"
    if not isinstance(entry, dict):
        raise CriConfigError(f"{where} must be an object.")
    missing = [k for k in REQUIRED if not entry.get(k)]
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise CriConfigError(
            f"{where}: " + "; ".join(filter(None, [
                missing and f"missing {', '.join(missing)}", unknown and f"unknown {', '.join(unknown)}",
            ])) + "."
        )
    if entry["kind"] not in ISSUER_KINDS:
        raise CriConfigError(f"{where}: kind must be one of {', '.join(sorted(ISSUER_KINDS))}.")
    if bool(entry.get("signing_jwk")) == bool(entry.get("did_url")):
        raise CriConfigError(f"{where}: give exactly one of signing_jwk or did_url.")
    return CriConfig(name=name, **{k: entry[k] for k in REQUIRED + OPTIONAL if k in entry})
