"""GPG45 scores and profiles: the table One Login's identity core checks evidence against.

Source: ipv-core-back `libs/common-services/…/gpg45/enums/Gpg45Profile.java` (every profile),
`…/enums/Vot.java` (the profiles accepted per level) and `libs/gpg45-evaluator/…/
Gpg45ProfileEvaluator.java` (how scores are built from credentials). onelogin-contract.md §3.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Evidence:
    """One piece of evidence: strength 1–4, validity 0–4. Ordered by strength then validity,
    as Gpg45Scores.Evidence compares."""

    strength: int
    validity: int


@dataclass(frozen=True)
class Scores:
    """What a set of credentials achieved, or what a profile needs."""

    evidences: tuple[Evidence, ...]
    activity: int = 0
    fraud: int = 0
    verification: int = 0


@dataclass(frozen=True)
class Profile:
    name: str
    needs: Scores

    def satisfied_by(self, achieved: Scores) -> bool:
        """Every score at least the profile's, the evidence matched in any order (a piece of
        evidence counts once)."""
        needs = self.needs
        if (achieved.activity < needs.activity or achieved.fraud < needs.fraud
                or achieved.verification < needs.verification):
            return False
        required = needs.evidences
        if len(required) > len(achieved.evidences):
            return False
        return any(
            all(got.strength >= want.strength and got.validity >= want.validity for want, got in zip(required, order))
            for order in itertools.permutations(achieved.evidences, len(required))
        )


def _profile(name: str, *evidence: str, activity: int, fraud: int, verification: int) -> Profile:
    """`evidence` written strength/validity as in the GPG45 tables: "4/2"."""
    pieces = tuple(Evidence(*(int(n) for n in e.split("/"))) for e in evidence)
    return Profile(name, Scores(pieces, activity, fraud, verification))


# Every profile in Gpg45Profile.java, in its order: evidence, activity, fraud, verification.
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        _profile("L1A", "2/2", activity=0, fraud=1, verification=1),
        _profile("L1B", "3/2", activity=0, fraud=0, verification=1),
        _profile("L1C", "1/1", activity=3, fraud=2, verification=2),
        _profile("L2A", "1/1", "1/1", activity=2, fraud=1, verification=2),
        _profile("L2B", "1/1", "1/1", activity=2, fraud=2, verification=1),
        _profile("L3A", "1/1", "1/1", "1/1", activity=2, fraud=1, verification=1),
        _profile("M1A", "4/2", activity=0, fraud=1, verification=2),
        _profile("M1B", "3/2", activity=1, fraud=2, verification=2),
        _profile("M1C", "3/3", activity=0, fraud=0, verification=3),
        _profile("M1D", "2/2", activity=2, fraud=1, verification=3),
        _profile("M2A", "2/2", "2/2", activity=3, fraud=2, verification=2),
        _profile("M2B", "3/2", "2/2", activity=1, fraud=1, verification=2),
        _profile("M2C", "3/2", "2/2", activity=0, fraud=1, verification=3),
        _profile("M3A", "2/2", "2/2", "2/2", activity=2, fraud=2, verification=2),
        _profile("H1A", "4/3", activity=0, fraud=1, verification=3),
        _profile("H1B", "3/3", activity=2, fraud=1, verification=3),
        _profile("H1C", "4/3", activity=0, fraud=0, verification=4),
        _profile("H2A", "2/2", "2/2", activity=3, fraud=2, verification=3),
        _profile("H2B", "4/2", "3/2", activity=0, fraud=2, verification=3),
        _profile("H2C", "3/3", "2/2", activity=1, fraud=1, verification=3),
        _profile("H2D", "3/3", "2/2", activity=0, fraud=1, verification=3),
        _profile("H2E", "4/3", "3/3", activity=0, fraud=0, verification=3),
        _profile("H3A", "2/2", "2/2", "2/2", activity=2, fraud=2, verification=3),
        _profile("V1A", "4/3", activity=0, fraud=3, verification=3),
        _profile("V1B", "4/4", activity=0, fraud=1, verification=3),
        _profile("V1C", "4/3", activity=1, fraud=1, verification=4),
        _profile("V1D", "4/4", activity=0, fraud=0, verification=4),
        _profile("V2A", "3/3", "3/3", activity=3, fraud=2, verification=3),
        _profile("V2B", "4/3", "3/3", activity=0, fraud=2, verification=3),
        _profile("V2C", "4/3", "2/2", activity=2, fraud=2, verification=3),
        _profile("V2D", "4/4", "4/4", activity=0, fraud=0, verification=3),
        _profile("V3A", "3/3", "2/2", "2/2", activity=3, fraud=3, verification=3),
    )
}

# The profiles each level of confidence accepts, in the order they are tried (Vot.java).
VOT_PROFILES: dict[str, tuple[str, ...]] = {
    "P1": ("L1A",),
    "P2": ("M1A", "M1B", "M2B", "M1C"),
    "P3": ("H1A",),
}
SUPPORTED_VOTS = ("P1", "P2")  # what relying parties may ask for (P3 is not offered)


def profiles_for(vot: str, fraud_required: bool = False) -> tuple[Profile, ...]:
    """The profiles accepted at `vot`; with a fraud score required, only those needing one
    (Vot.getSupportedGpg45Profiles)."""
    profiles = tuple(PROFILES[name] for name in VOT_PROFILES[vot])
    if fraud_required:
        profiles = tuple(p for p in profiles if p.needs.fraud > 0)
    return profiles


def first_matching_profile(scores: Scores, vot: str, fraud_required: bool = False) -> Profile | None:
    return next((p for p in profiles_for(vot, fraud_required) if p.satisfied_by(scores)), None)
