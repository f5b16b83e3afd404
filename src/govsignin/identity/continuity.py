"""Continuity of identity (COI): do these credentials describe one person?

Source: ipv-core-back `lambdas/process-candidate-identity/…/CheckCoiService.java` (the three
check types), `libs/user-identity-service/…/UserIdentityService.java` (`areNamesAndDobCorrelated`,
`areNamesAndDobCorrelatedForReverification`, `areVcsCorrelated`) and `…/helpers/NameHelper.java`
(normalisation). The character allowances are private in production; `local-running/
core.local.params.yaml` uses family 5 and given 3, and they are settings here.
Only successful credentials count, and the address issuer's are left out of the name check.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from govsignin.identity.credentials import NON_EVIDENCE_ISSUERS, Credential


class ContinuityRule(enum.Enum):
    # reuse and update journeys: the date of birth, and either the given names in full or the
    # start of the family name (not both changed at once)
    STANDARD = "standard"
    # lost second factor: the date of birth, the start of the given names AND of the family name
    REVERIFICATION = "reverification"
    # an intervention asked for re-proving, and a new identity's own credentials: the full name
    # and the date of birth exactly
    ACCOUNT_INTERVENTION = "account_intervention"


@dataclass(frozen=True)
class Allowances:
    family_name_chars: int = 5
    given_name_chars: int = 3


_IGNORED = re.compile(r"[\s'’-]")


def normalise(name: str) -> str:
    """NFD, diacritics removed, spaces, apostrophes and hyphens removed, lower case."""
    decomposed = unicodedata.normalize("NFD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return _IGNORED.sub("", stripped).lower()


def _parts(name: dict, kind: str) -> str:
    return " ".join(p["value"] for p in name.get("nameParts", ()) if p.get("type") == kind)


def _names(credentials: list[Credential]) -> list[dict]:
    return [
        n for c in credentials if c.cri not in NON_EVIDENCE_ISSUERS for n in (c.subject.get("name") or ())[:1]
    ]


def _agree(values: list[str]) -> bool:
    return len({normalise(v) for v in values}) <= 1


def birth_dates_agree(credentials: list[Credential]) -> bool:
    return len({b["value"] for c in credentials for b in c.subject.get("birthDate") or ()}) <= 1


def given_names_agree(names: list[dict], chars: int | None = None) -> bool:
    values = [_parts(n, "GivenName") for n in names]
    return _agree([normalise(v)[:chars] if chars else v for v in values])


def family_names_agree(names: list[dict], chars: int | None = None) -> bool:
    values = [_parts(n, "FamilyName") for n in names]
    return _agree([normalise(v)[:chars] if chars else v for v in values])


def correlated(credentials: list[Credential], rule: ContinuityRule, allowances: Allowances = Allowances()) -> bool:
    successful = [c for c in credentials if c.succeeded()]
    names = _names(successful)
    dob = birth_dates_agree(successful)
    if rule is ContinuityRule.STANDARD:
        given = given_names_agree(names)
        family = family_names_agree(names, allowances.family_name_chars)
        return dob and (given or family)
    if rule is ContinuityRule.REVERIFICATION:
        return (
            dob
            and given_names_agree(names, allowances.given_name_chars)
            and family_names_agree(names, allowances.family_name_chars)
        )
    return dob and given_names_agree(names) and family_names_agree(names)
