"""The decision a journey asks for: do these verified credentials prove this person at `vot`?

`assess(credentials, vot)` applies, in order, the rules of One Login's identity core
(capabilities-research.md §1.6–1.9): contra-indicators against the level's threshold, continuity
of identity, the fraud check's age, then the GPG45 profiles the level accepts. The outcome names
the profile met, or why not, with the return codes a relying party receives.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from govsignin.identity import contra_indicators as cis
from govsignin.identity.continuity import Allowances, ContinuityRule, correlated
from govsignin.identity.credentials import BIOMETRIC_ISSUERS, DOCUMENT_ISSUERS, Credential, scores_of
from govsignin.identity.gpg45 import SUPPORTED_VOTS, Scores, first_matching_profile

FRAUD_CHECK_VALID_DAYS = 180  # fraudCheckExpiryPeriodDays (ipv-core-back core.local.params.yaml)


class Reason(enum.Enum):
    MET = "met"
    CONTRA_INDICATORS = "contra_indicators"  # the CI score is over the level's threshold
    CONTINUITY = "continuity"  # names or dates of birth disagree
    FRAUD_CHECK_EXPIRED = "fraud_check_expired"  # every fraud check is older than 180 days
    SCORES_TOO_LOW = "scores_too_low"  # no accepted profile is met


@dataclass(frozen=True)
class Outcome:
    requested: str
    vot: str  # what was proven: `requested`, or "P0"
    reason: Reason
    profile: str | None = None
    scores: Scores | None = None
    return_codes: list[str] = field(default_factory=list)
    mitigation: str | None = None  # a journey event that could still succeed

    @property
    def proven(self) -> bool:
        return self.reason is Reason.MET


def fraud_check_expired(credential: Credential, now: dt.datetime) -> bool:
    return now - credential.issued_at > dt.timedelta(days=FRAUD_CHECK_VALID_DAYS)


def raised_contra_indicators(credentials: list[Credential]) -> list[cis.RaisedCI]:
    """Every CI the credentials carry, each marked mitigated when a later successful credential
    does what its mitigation asks: another document (`alternate-doc`) or a face match
    (`enhanced-verification`, `liveness-likeness`)."""
    raised = []
    for index, cred in enumerate(credentials):
        later = [c for c in credentials[index + 1:] if c.succeeded()]
        for code in cred.contra_indicators:
            rule = cis.CONTRA_INDICATORS.get(code)
            mitigated = False
            if rule is not None:
                for event in rule.mitigations:
                    if event == "alternate-doc":
                        mitigated |= any(
                            c.cri in DOCUMENT_ISSUERS | BIOMETRIC_ISSUERS and c.document_type != cred.document_type
                            for c in later
                        )
                    elif event in ("enhanced-verification", "liveness-likeness"):
                        mitigated |= any(c.cri in BIOMETRIC_ISSUERS for c in later)
            raised.append(cis.RaisedCI(code, mitigated))
    return raised


def assess(
    credentials: list[Credential],
    vot: str,
    *,
    now: dt.datetime | None = None,
    stored: list[Credential] = (),
    continuity: ContinuityRule = ContinuityRule.STANDARD,
    allowances: Allowances = Allowances(),
    fraud_required: bool = True,
) -> Outcome:
    """`credentials`: this journey's, oldest first. `stored`: a proven identity's, when the
    citizen is re-proving or updating (they must correlate with the new ones under
    `continuity`). Raises UnknownContraIndicator for a CI code not in the table."""
    if vot not in SUPPORTED_VOTS:
        raise ValueError(f"unsupported level of confidence {vot!r}")
    now = now or dt.datetime.now(dt.timezone.utc)
    everything = [*stored, *credentials]
    raised = raised_contra_indicators(everything)
    if cis.breaches(raised, vot):
        return Outcome(
            vot, "P0", Reason.CONTRA_INDICATORS,
            return_codes=cis.failure_return_codes(raised, vot), mitigation=cis.mitigation_for(raised, vot),
        )
    fail = Outcome(vot, "P0", Reason.SCORES_TOO_LOW, return_codes=cis.failure_return_codes(raised, vot))
    # A new identity's credentials must agree exactly; against a stored identity, the rule the
    # journey names applies (CheckCoiService).
    if not correlated(credentials, ContinuityRule.ACCOUNT_INTERVENTION, allowances) or (
        stored and not correlated(everything, continuity, allowances)
    ):
        return Outcome(vot, "P0", Reason.CONTINUITY, return_codes=fail.return_codes)
    fraud_checks = [c for c in everything if c.is_fraud_check]
    current = [c for c in everything if not (c.is_fraud_check and fraud_check_expired(c, now))]
    if fraud_required and fraud_checks and len(current) == len(everything) - len(fraud_checks):
        return Outcome(vot, "P0", Reason.FRAUD_CHECK_EXPIRED, return_codes=fail.return_codes)
    scores = scores_of([c for c in current if c.succeeded()])
    profile = first_matching_profile(scores, vot, fraud_required)
    if profile is None:
        return Outcome(vot, "P0", Reason.SCORES_TOO_LOW, scores=scores, return_codes=fail.return_codes)
    return Outcome(
        vot, vot, Reason.MET, profile=profile.name, scores=scores, return_codes=cis.success_return_codes(raised)
    )
