"""Verified credentials for the rule tests, shaped as the issuers' VCs are."""

from __future__ import annotations

import datetime as dt

from govsignin.identity.credentials import Credential

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def name(given=("Kenneth",), family="Decerqueira"):
    parts = [{"type": "GivenName", "value": g} for g in given] + [{"type": "FamilyName", "value": family}]
    return [{"nameParts": parts}]


def subject(given=("Kenneth",), family="Decerqueira", birth="1965-07-08", **documents):
    return {"name": name(given, family), "birthDate": [{"value": birth}], **documents}


def credential(cri, *, age_days=0, person=None, **check) -> Credential:
    person = person if person is not None else subject()
    documents = {
        "passport": {"passport": [{"documentNumber": "321654987", "expiryDate": "2030-01-01", "icaoIssuerCode": "GBR"}]},
        "driving-licence": {"drivingPermit": [{"personalNumber": "DECER607085K99AE", "issuedBy": "DVLA"}]},
        "bank-account": {"bankAccount": [{"sortCode": "108800", "accountNumber": "00111111"}]},
        "nino": {"socialSecurityRecord": [{"personalNumber": "AA000003D"}]},
    }
    return Credential(
        cri=cri,
        issuer=f"https://cri.example/{cri}",
        subject={**person, **documents.get(cri, {})},
        evidence=({"type": "IdentityCheck", "txn": "t", **check},),
        issued_at=NOW - dt.timedelta(days=age_days),
    )


def passport(strength=4, validity=2, **kw):
    return credential("passport", strengthScore=strength, validityScore=validity, **kw)


def driving_licence(strength=3, validity=2, **kw):
    return credential("driving-licence", strengthScore=strength, validityScore=validity, **kw)


def fraud(fraud_score=2, activity=1, **kw):
    return credential("fraud", identityFraudScore=fraud_score, activityHistoryScore=activity, **kw)


def kbv(verification=2, **kw):
    return credential("kbv", verificationScore=verification, **kw)


def app(strength=4, validity=3, level=3, **kw):
    return credential(
        "app", strengthScore=strength, validityScore=validity,
        checkDetails=[{"checkMethod": "bvr", "biometricVerificationProcessLevel": level}], **kw,
    )
