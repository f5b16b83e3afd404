"""assess(): CIs, continuity, fraud-check age and profiles combined, as a journey calls it.

Sources: capabilities-research.md §1.6–1.9; ipv-core-back core.local.params.yaml
(fraudCheckExpiryPeriodDays 180); onelogin-contract.md §3.
"""

from __future__ import annotations

import pytest

from govsignin.identity.assessment import Reason, assess
from govsignin.identity.continuity import ContinuityRule
from tests.identity.builders import NOW, app, driving_licence, fraud, kbv, passport, subject


def test_web_passport_route_meets_m1a():
    outcome = assess([passport(), fraud(), kbv()], "P2", now=NOW)
    assert (outcome.vot, outcome.profile, outcome.reason) == ("P2", "M1A", Reason.MET)
    assert outcome.return_codes == []


def test_web_driving_licence_route_meets_m1b():
    assert assess([driving_licence(), fraud(), kbv()], "P2", now=NOW).profile == "M1B"


def test_app_route_meets_p2_on_the_face_match_alone_for_verification():
    assert assess([app(), fraud()], "P2", now=NOW).profile == "M1A"


def test_wrong_kbv_answers_leave_p0_with_the_non_breaching_code():
    outcome = assess([passport(), fraud(), kbv(verification=0)], "P2", now=NOW)
    assert (outcome.vot, outcome.reason, outcome.return_codes) == ("P0", Reason.SCORES_TOO_LOW, ["X"])


def test_a_mortality_ci_fails_with_its_return_code():
    outcome = assess([passport(), fraud(fraud_score=0, ci=["MORTALITY"]), kbv()], "P2", now=NOW)
    assert (outcome.vot, outcome.reason, outcome.return_codes, outcome.mitigation) == (
        "P0", Reason.CONTRA_INDICATORS, ["D"], None,
    )


def test_an_expired_passport_breaches_until_another_document_mitigates_it():
    expired = passport(validity=0, ci=["NEEDS-ALTERNATE-DOC"])
    first = assess([expired], "P2", now=NOW)
    assert (first.reason, first.mitigation) == (Reason.CONTRA_INDICATORS, "alternate-doc")
    outcome = assess([expired, driving_licence(), fraud(), kbv()], "P2", now=NOW)
    assert (outcome.vot, outcome.profile) == ("P2", "M1B")


def test_names_that_disagree_within_one_journey_fail_continuity():
    outcome = assess([passport(), fraud(person=subject(family="Other")), kbv()], "P2", now=NOW)
    assert outcome.reason is Reason.CONTINUITY


def test_a_fraud_check_of_180_days_counts_and_one_of_181_does_not():
    assert assess([passport(), fraud(age_days=180), kbv()], "P2", now=NOW).proven
    outcome = assess([passport(), fraud(age_days=181), kbv()], "P2", now=NOW)
    assert outcome.reason is Reason.FRAUD_CHECK_EXPIRED


def test_a_new_fraud_check_renews_a_stored_identity():
    stored = [passport(age_days=400), fraud(age_days=400), kbv(age_days=400)]
    assert assess([], "P2", now=NOW, stored=stored).reason is Reason.FRAUD_CHECK_EXPIRED
    assert assess([fraud()], "P2", now=NOW, stored=stored).proven


def test_a_family_name_change_against_a_stored_identity_follows_the_standard_rule():
    stored = [passport(person=subject(given=("Grace",), family="Whitfield", birth="1990-05-05")), fraud(person=subject(given=("Grace",), family="Whitfield", birth="1990-05-05")), kbv(person=subject(given=("Grace",), family="Whitfield", birth="1990-05-05"))]
    holloway = subject(given=("Grace",), family="Holloway", birth="1990-05-05")
    new = [passport(person=holloway), fraud(person=holloway)]
    assert assess(new, "P2", now=NOW, stored=stored, continuity=ContinuityRule.STANDARD).proven
    outcome = assess(new, "P2", now=NOW, stored=stored, continuity=ContinuityRule.ACCOUNT_INTERVENTION)
    assert outcome.reason is Reason.CONTINUITY


def test_p1_accepts_l1a():
    outcome = assess([driving_licence(strength=2), fraud(fraud_score=1, activity=0), kbv(verification=1)], "P1", now=NOW)
    assert (outcome.vot, outcome.profile) == ("P1", "L1A")


def test_an_unsupported_level_is_refused():
    with pytest.raises(ValueError):
        assess([], "P3", now=NOW)
