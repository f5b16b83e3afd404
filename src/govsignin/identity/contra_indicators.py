"""Contra-indicators (CIs): their scores, mitigations and return codes, and the threshold test.

Source: ipv-core-back `libs/common-services/…/service/CimitUtilityService.java` (the score is the
sum of every CI's detected score plus the checked score of each mitigated one; a journey breaches
when the score is GREATER than the level's threshold; the mitigation offered is the first CI whose
mitigation would bring the score back within it) and `local-running/core.local.params.yaml`
(`ciScoringConfig`, `ciScoringThresholdByVot` P1 30 / P2 20 / P3 10, `returnCodes`).
One Login's production CI codes and return-code letters are private; the codes below are this
project's, named for what raised them, with the published test scores.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContraIndicatorRule:
    code: str
    detected_score: int
    checked_score: int  # added once the CI is mitigated (negative)
    return_code: str  # the letter a relying party receives at P0
    mitigations: tuple[str, ...] = ()  # journey events that can mitigate it, in preference order
    meaning: str = ""


CONTRA_INDICATORS: dict[str, ContraIndicatorRule] = {
    r.code: r
    for r in (
        ContraIndicatorRule("MORTALITY", 100, 0, "D", (), "the fraud check found a death record"),
        ContraIndicatorRule(
            "IDENTITY-THEFT", 31, -31, "T", ("enhanced-verification",),
            "the fraud check found an identity-theft marker; a face match mitigates it",
        ),
        ContraIndicatorRule(
            "NEEDS-ALTERNATE-DOC", 31, -31, "A", ("alternate-doc",),
            "the document's details did not match its issuer's record; another document mitigates it",
        ),
        ContraIndicatorRule(
            "NEEDS-ENHANCED-VERIFICATION", 31, -31, "V", ("enhanced-verification",),
            "a stronger verification (the app or the Post Office) is needed",
        ),
        ContraIndicatorRule(
            "NEEDS-LIVENESS-LIKENESS", 31, -31, "L", ("liveness-likeness",),
            "the face did not match the document's photo",
        ),
        ContraIndicatorRule("BREACHING", 31, -31, "B", (), "a breaching CI from the published test config"),
        ContraIndicatorRule("NON-BREACHING", 10, -10, "N", (), "a CI below every threshold on its own"),
        ContraIndicatorRule("ALWAYS-REQUIRED", 1, -1, "R", (), "reported to the service even on success"),
    )
}

THRESHOLDS: dict[str, int] = {"P1": 30, "P2": 20, "P3": 10}
NON_CI_BREACHING_P0 = "X"  # the single code for a failure with no CI breach (`nonCiBreachingP0`)
ALWAYS_REQUIRED = frozenset({"R"})  # the codes a service receives even when proving succeeds


class UnknownContraIndicator(ValueError):
    """A CI code not in the table: refused, as CimitUtilityService refuses an unrecognised CI."""


@dataclass(frozen=True)
class RaisedCI:
    code: str
    mitigated: bool = False


def _rules(cis: list[RaisedCI]) -> list[ContraIndicatorRule]:
    unknown = sorted({ci.code for ci in cis} - CONTRA_INDICATORS.keys())
    if unknown:
        raise UnknownContraIndicator(f"unrecognised contra-indicator codes: {', '.join(unknown)}")
    return [CONTRA_INDICATORS[ci.code] for ci in cis]


def score(cis: list[RaisedCI]) -> int:
    rules = _rules(cis)
    return sum(r.detected_score for r in rules) + sum(
        r.checked_score for r, ci in zip(rules, cis) if ci.mitigated
    )


def breaches(cis: list[RaisedCI], vot: str) -> bool:
    return score(cis) > THRESHOLDS[vot]


def mitigation_for(cis: list[RaisedCI], vot: str) -> str | None:
    """The journey event that would bring a breaching score within the threshold, if any
    (getCiMitigationEvent); none while a CI is already mitigated."""
    if not breaches(cis, vot) or any(ci.mitigated for ci in cis):
        return None
    total = score(cis)
    for ci in cis:
        rule = CONTRA_INDICATORS[ci.code]
        if rule.mitigations and total + rule.checked_score <= THRESHOLDS[vot]:
            return rule.mitigations[0]
    return None


def failure_return_codes(cis: list[RaisedCI], vot: str) -> list[str]:
    """At P0: each CI's letter, de-duplicated and sorted, when the CIs breach; otherwise the
    single non-breaching code (UserIdentityService.getFailReturnCode)."""
    if cis and breaches(cis, vot):
        return sorted({CONTRA_INDICATORS[ci.code].return_code for ci in cis})
    return [NON_CI_BREACHING_P0]


def success_return_codes(cis: list[RaisedCI]) -> list[str]:
    return sorted({CONTRA_INDICATORS[ci.code].return_code for ci in cis} & ALWAYS_REQUIRED)
