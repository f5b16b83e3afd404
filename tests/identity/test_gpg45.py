"""Every GPG45 profile, and the profiles accepted per level.

Source: ipv-core-back libs/common-services/…/gpg45/enums/Gpg45Profile.java (the table) and
…/enums/Vot.java (P1 = L1A; P2 = M1A, M1B, M2B, M1C; P3 = H1A); onelogin-contract.md §3.
"""

from __future__ import annotations

import dataclasses

import pytest

from govsignin.identity.gpg45 import PROFILES, VOT_PROFILES, Evidence, Scores, first_matching_profile, profiles_for

# The published table, restated independently of the code: evidence, activity, fraud, verification.
PUBLISHED = {
    "L1A": (["2/2"], 0, 1, 1), "L1B": (["3/2"], 0, 0, 1), "L1C": (["1/1"], 3, 2, 2),
    "L2A": (["1/1", "1/1"], 2, 1, 2), "L2B": (["1/1", "1/1"], 2, 2, 1), "L3A": (["1/1"] * 3, 2, 1, 1),
    "M1A": (["4/2"], 0, 1, 2), "M1B": (["3/2"], 1, 2, 2), "M1C": (["3/3"], 0, 0, 3), "M1D": (["2/2"], 2, 1, 3),
    "M2A": (["2/2", "2/2"], 3, 2, 2), "M2B": (["3/2", "2/2"], 1, 1, 2), "M2C": (["3/2", "2/2"], 0, 1, 3),
    "M3A": (["2/2"] * 3, 2, 2, 2),
    "H1A": (["4/3"], 0, 1, 3), "H1B": (["3/3"], 2, 1, 3), "H1C": (["4/3"], 0, 0, 4),
    "H2A": (["2/2", "2/2"], 3, 2, 3), "H2B": (["4/2", "3/2"], 0, 2, 3), "H2C": (["3/3", "2/2"], 1, 1, 3),
    "H2D": (["3/3", "2/2"], 0, 1, 3), "H2E": (["4/3", "3/3"], 0, 0, 3), "H3A": (["2/2"] * 3, 2, 2, 3),
    "V1A": (["4/3"], 0, 3, 3), "V1B": (["4/4"], 0, 1, 3), "V1C": (["4/3"], 1, 1, 4), "V1D": (["4/4"], 0, 0, 4),
    "V2A": (["3/3", "3/3"], 3, 2, 3), "V2B": (["4/3", "3/3"], 0, 2, 3), "V2C": (["4/3", "2/2"], 2, 2, 3),
    "V2D": (["4/4", "4/4"], 0, 0, 3), "V3A": (["3/3", "2/2", "2/2"], 3, 3, 3),
}


def scores(evidence, activity, fraud, verification):
    return Scores(tuple(Evidence(*map(int, e.split("/"))) for e in evidence), activity, fraud, verification)


def test_the_table_holds_every_published_profile_and_no_other():
    assert set(PROFILES) == set(PUBLISHED)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_profile_is_met_by_exactly_its_scores_and_not_by_one_less(name):
    """Gpg45Profile.isSatisfiedBy: every score at least the profile's."""
    evidence, activity, fraud, verification = PUBLISHED[name]
    profile = PROFILES[name]
    exact = scores(evidence, activity, fraud, verification)
    assert profile.satisfied_by(exact)
    for field in ("activity", "fraud", "verification"):
        if getattr(exact, field):
            assert not profile.satisfied_by(dataclasses.replace(exact, **{field: getattr(exact, field) - 1}))
    for index, piece in enumerate(exact.evidences):
        for weaker in (Evidence(piece.strength - 1, piece.validity), Evidence(piece.strength, piece.validity - 1)):
            if min(weaker.strength, weaker.validity) >= 0 and weaker != piece:
                pieces = list(exact.evidences)
                pieces[index] = weaker
                assert not profile.satisfied_by(dataclasses.replace(exact, evidences=tuple(pieces)))
    if len(exact.evidences) > 1:
        assert not profile.satisfied_by(dataclasses.replace(exact, evidences=exact.evidences[1:]))


def test_evidence_matches_in_any_order_and_each_piece_counts_once():
    m2b = PROFILES["M2B"]
    assert m2b.satisfied_by(scores(["2/2", "3/2"], 1, 1, 2))  # order is free
    assert not m2b.satisfied_by(scores(["3/2"], 1, 1, 2))  # one document cannot count twice


@pytest.mark.parametrize("vot,names", [("P1", ("L1A",)), ("P2", ("M1A", "M1B", "M2B", "M1C")), ("P3", ("H1A",))])
def test_levels_accept_the_profiles_vot_java_lists(vot, names):
    assert VOT_PROFILES[vot] == names


def test_a_required_fraud_score_drops_the_profiles_without_one():
    """Vot.getSupportedGpg45Profiles(isFraudScoreRequired=true): M1C needs no fraud score."""
    assert [p.name for p in profiles_for("P2", fraud_required=True)] == ["M1A", "M1B", "M2B"]
    m1c_only = scores(["3/3"], 0, 0, 3)
    assert first_matching_profile(m1c_only, "P2").name == "M1C"
    assert first_matching_profile(m1c_only, "P2", fraud_required=True) is None


def test_p2_is_not_met_by_a_low_profile_and_p1_is():
    l1a = scores(["2/2"], 0, 1, 1)
    assert first_matching_profile(l1a, "P2") is None
    assert first_matching_profile(l1a, "P1").name == "L1A"


from hypothesis import given, strategies as st  # noqa: E402

evidence = st.builds(Evidence, st.integers(1, 4), st.integers(0, 4))
score_sets = st.builds(Scores, st.lists(evidence, max_size=3).map(tuple), st.integers(0, 4), st.integers(0, 3), st.integers(0, 4))


@given(score_sets, st.sampled_from(sorted(PUBLISHED)), st.sampled_from(["activity", "fraud", "verification", "evidence"]))
def test_more_evidence_or_higher_scores_never_lose_a_profile(achieved, name, raise_what):
    """isSatisfiedBy is monotone: if scores meet a profile, better scores still do."""
    profile = PROFILES[name]
    if raise_what == "evidence":
        better = dataclasses.replace(achieved, evidences=achieved.evidences + (Evidence(4, 4),))
    else:
        better = dataclasses.replace(achieved, **{raise_what: getattr(achieved, raise_what) + 1})
    if profile.satisfied_by(achieved):
        assert profile.satisfied_by(better)
