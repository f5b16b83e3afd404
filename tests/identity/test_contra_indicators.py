"""Contra-indicator scores, the strict threshold, mitigation and return codes.

Source: ipv-core-back libs/common-services/…/service/CimitUtilityService.java and
local-running/core.local.params.yaml (thresholds P1 30, P2 20, P3 10; detected/checked scores);
UserIdentityService.getFailReturnCode / getSuccessReturnCode; capabilities-research.md §1.9.
"""

from __future__ import annotations

import pytest

from govsignin.identity import contra_indicators as cis
from govsignin.identity.contra_indicators import RaisedCI


def test_thresholds_are_the_published_ones():
    assert cis.THRESHOLDS == {"P1": 30, "P2": 20, "P3": 10}


@pytest.mark.parametrize("code", sorted(cis.CONTRA_INDICATORS))
def test_each_ci_scores_its_detected_score_and_its_mitigation_takes_off_the_checked_score(code):
    rule = cis.CONTRA_INDICATORS[code]
    assert cis.score([RaisedCI(code)]) == rule.detected_score
    assert cis.score([RaisedCI(code, mitigated=True)]) == rule.detected_score + rule.checked_score


def test_a_score_equal_to_the_threshold_passes_and_one_more_fails():
    """CimitUtilityService.isBreachingCiThreshold: `score > threshold`, strict."""
    twenty = [RaisedCI("NON-BREACHING"), RaisedCI("NON-BREACHING")]
    assert cis.score(twenty) == 20
    assert not cis.breaches(twenty, "P2")
    assert cis.breaches(twenty + [RaisedCI("ALWAYS-REQUIRED")], "P2")
    assert not cis.breaches(twenty + [RaisedCI("ALWAYS-REQUIRED")], "P1")


def test_a_ci_over_the_p2_threshold_offers_its_mitigation():
    raised = [RaisedCI("NEEDS-ALTERNATE-DOC")]
    assert cis.breaches(raised, "P2")
    assert cis.mitigation_for(raised, "P2") == "alternate-doc"
    assert not cis.breaches([RaisedCI("NEEDS-ALTERNATE-DOC", mitigated=True)], "P2")


def test_a_mortality_ci_has_no_mitigation():
    assert cis.mitigation_for([RaisedCI("MORTALITY")], "P2") is None


def test_no_new_mitigation_while_one_ci_is_already_mitigated():
    raised = [RaisedCI("NEEDS-ALTERNATE-DOC", mitigated=True), RaisedCI("IDENTITY-THEFT")]
    assert cis.breaches(raised, "P2")
    assert cis.mitigation_for(raised, "P2") is None


def test_return_codes_at_p0_are_each_breaching_cis_letter_sorted_once():
    raised = [RaisedCI("NEEDS-ALTERNATE-DOC"), RaisedCI("MORTALITY"), RaisedCI("NEEDS-ALTERNATE-DOC")]
    assert cis.failure_return_codes(raised, "P2") == ["A", "D"]


def test_return_code_without_a_breach_is_the_single_non_breaching_code():
    assert cis.failure_return_codes([], "P2") == [cis.NON_CI_BREACHING_P0]
    assert cis.failure_return_codes([RaisedCI("NON-BREACHING")], "P2") == [cis.NON_CI_BREACHING_P0]


def test_on_success_only_always_required_codes_are_returned():
    assert cis.success_return_codes([RaisedCI("ALWAYS-REQUIRED"), RaisedCI("NON-BREACHING")]) == ["R"]


def test_an_unknown_ci_is_refused():
    with pytest.raises(cis.UnknownContraIndicator):
        cis.score([RaisedCI("Z99")])
