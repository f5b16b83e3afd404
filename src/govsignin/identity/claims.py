"""The identity claims a service receives, in One Login's shapes (onelogin-contract.md §1.5,
capabilities-research.md §1.10): the core identity's name and birth date, `address`,
`passport` and `drivingPermit`, built from a proven identity's verified credentials."""

from __future__ import annotations

from govsignin.identity.credentials import Credential

ADDRESS_CLAIM = "https://vocab.account.gov.uk/v1/address"
PASSPORT_CLAIM = "https://vocab.account.gov.uk/v1/passport"
DRIVING_PERMIT_CLAIM = "https://vocab.account.gov.uk/v1/drivingPermit"
CORE_IDENTITY_CLAIM = "https://vocab.account.gov.uk/v1/coreIdentityJWT"
RETURN_CODE_CLAIM = "https://vocab.account.gov.uk/v1/returnCode"

ADDRESS_FIELDS = (
    "uprn", "organisationName", "departmentName", "subBuildingName", "buildingNumber", "buildingName",
    "dependentStreetName", "streetName", "doubleDependentAddressLocality", "dependentAddressLocality",
    "addressLocality", "addressRegion", "postalCode", "addressCountry", "validFrom", "validUntil",
)
PASSPORT_FIELDS = ("documentNumber", "icaoIssuerCode", "expiryDate")
DRIVING_PERMIT_FIELDS = ("expiryDate", "issueNumber", "issuedBy", "personalNumber")  # no fullAddress, issueDate


def _evidence_first(credentials: list[Credential]) -> list[Credential]:
    """Successful identity checks with a document first: the most trusted name and birth date."""
    good = [c for c in credentials if c.succeeded()]
    return sorted(good, key=lambda c: (c.document_type is None, c.cri == "address"))


def core_identity(credentials: list[Credential]) -> tuple[list[dict], list[dict]]:
    """(name, birthDate) for the coreIdentityJWT: the current name only, the most trusted first."""
    for credential in _evidence_first(credentials):
        if credential.subject.get("name") and credential.subject.get("birthDate"):
            return [credential.subject["name"][0]], list(credential.subject["birthDate"])
    raise ValueError("no verified credential names the person")


def _pick(items: list[dict], fields: tuple[str, ...], drop_dvla_only: bool = False) -> list[dict]:
    picked = []
    for item in items:
        shaped = {k: item[k] for k in fields if item.get(k) not in (None, "")}
        if drop_dvla_only and shaped.get("issuedBy") != "DVLA":
            shaped.pop("issueNumber", None)  # issueNumber is DVLA's only
        if shaped not in picked:
            picked.append(shaped)
    return picked


def address(credentials: list[Credential]) -> list[dict]:
    for credential in reversed(credentials):  # the latest address check is the current history
        if credential.cri == "address" and credential.subject.get("address"):
            return _pick(credential.subject["address"], ADDRESS_FIELDS)
    return []


def passport(credentials: list[Credential]) -> list[dict]:
    return _pick([p for c in _evidence_first(credentials) for p in c.subject.get("passport") or ()], PASSPORT_FIELDS)


def driving_permit(credentials: list[Credential]) -> list[dict]:
    permits = [p for c in _evidence_first(credentials) for p in c.subject.get("drivingPermit") or ()]
    return _pick(permits, DRIVING_PERMIT_FIELDS, drop_dvla_only=True)


def return_codes(codes: list[str]) -> list[dict]:
    """The returnCode claim: `[{"code": "A"}, …]` (an Outcome's return_codes)."""
    return [{"code": code} for code in codes]
