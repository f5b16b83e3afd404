"""Verified credentials as the rules see them, and the GPG45 scores a set of them achieves.

A `Credential` is a VC whose signature, issuer, subject and shape `cri_client` has already
checked: what it claims about the person (`subject`), its `evidence` and which issuer (`cri`)
made it. Scores follow Gpg45ProfileEvaluator.buildScore (ipv-core-back): activity, fraud and
verification are each the best any check reached; evidence is de-duplicated per document type,
keeping the strongest; an issuer's check counts only if it succeeded (Gpg45IdentityCheckValidator).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from govsignin.identity.gpg45 import Evidence, Scores

# What kind of issuer each development or configured CRI is; decides which checks count as
# success (Gpg45IdentityCheckValidator.isSuccessful) and which credentials are fraud checks.
DOCUMENT_ISSUERS = frozenset({"passport", "driving-licence", "bank-account"})
BIOMETRIC_ISSUERS = frozenset({"app", "post-office"})  # document and a face match
FRAUD_ISSUERS = frozenset({"fraud"})
KBV_ISSUERS = frozenset({"kbv"})
NINO_ISSUERS = frozenset({"nino"})
NON_EVIDENCE_ISSUERS = frozenset({"address"})  # excluded from name correlation too
ISSUER_KINDS = DOCUMENT_ISSUERS | BIOMETRIC_ISSUERS | FRAUD_ISSUERS | KBV_ISSUERS | NINO_ISSUERS | NON_EVIDENCE_ISSUERS

# The document a credential is about, for de-duplication (Gpg45ProfileEvaluator.getVcDocumentType).
DOCUMENT_TYPES = ("drivingPermit", "passport", "bankAccount", "residencePermit", "socialSecurityRecord", "idCard")


@dataclass(frozen=True)
class Credential:
    cri: str  # the kind of issuer (ISSUER_KINDS)
    issuer: str  # the VC's `iss`
    subject: dict  # vc.credentialSubject
    evidence: tuple[dict, ...]  # vc.evidence
    issued_at: dt.datetime  # nbf
    types: tuple[str, ...] = ("VerifiableCredential", "IdentityCheckCredential")
    jwt: str = field(default="", compare=False, repr=False)
    jti: str | None = None

    @property
    def contra_indicators(self) -> tuple[str, ...]:
        return tuple(ci for check in self.evidence for ci in check.get("ci") or ())

    @property
    def document_type(self) -> str | None:
        return next((t for t in DOCUMENT_TYPES if self.subject.get(t)), None)

    @property
    def is_fraud_check(self) -> bool:
        return self.cri in FRAUD_ISSUERS

    def succeeded(self) -> bool:
        """VcHelper.isSuccessfulVc: an identity check succeeded if one of its checks did."""
        if "IdentityCheckCredential" not in self.types:
            return True
        return any(_check_succeeded(check, self.cri) for check in self.evidence)


def _positive(value) -> bool:
    return isinstance(value, int) and value > 0


def verification_score(check: dict) -> int:
    """verificationScore, else a biometric check's process level (getVerificationScore)."""
    if check.get("verificationScore") is not None:
        return check["verificationScore"]
    for detail in check.get("checkDetails") or ():
        if detail.get("biometricVerificationProcessLevel") is not None:
            return detail["biometricVerificationProcessLevel"]
    return 0


def _check_succeeded(check: dict, cri: str) -> bool:
    evidence_ok = _positive(check.get("strengthScore")) and _positive(check.get("validityScore"))
    if cri in DOCUMENT_ISSUERS:
        return evidence_ok
    if cri in BIOMETRIC_ISSUERS:
        return evidence_ok and _positive(verification_score(check))
    if cri in FRAUD_ISSUERS:
        return _positive(check.get("identityFraudScore"))
    if cri in KBV_ISSUERS:
        return _positive(verification_score(check))
    if cri in NINO_ISSUERS:
        return evidence_ok or (
            not check.get("failedCheckDetails") and check.get("strengthScore") is None and check.get("validityScore") is None
        )
    return False


def scores_of(credentials: list[Credential]) -> Scores:
    checks = [c for cred in credentials if "IdentityCheckCredential" in cred.types for c in cred.evidence]
    by_document: dict[str, list[Evidence]] = {}
    undocumented: list[Evidence] = []
    for cred in credentials:
        if "IdentityCheckCredential" not in cred.types:
            continue
        pieces = sorted(
            (Evidence(c["strengthScore"], c["validityScore"]) for c in cred.evidence
             if c.get("strengthScore") is not None and c.get("validityScore") is not None),
            reverse=True,
        )
        if not pieces:
            continue
        kind = cred.document_type
        if kind is None:
            undocumented.extend(pieces)
        elif kind not in by_document or pieces[0] > by_document[kind][0]:
            by_document[kind] = pieces
    evidences = tuple(undocumented + [e for pieces in by_document.values() for e in pieces])
    return Scores(
        evidences=evidences,
        activity=max((c.get("activityHistoryScore") or 0 for c in checks), default=0),
        fraud=max((c.get("identityFraudScore") or 0 for c in checks), default=0),
        verification=max((verification_score(c) for c in checks), default=0),
    )
