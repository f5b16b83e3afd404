"""Continuity of identity: the three rule sets.

Source: ipv-core-back CheckCoiService.java (STANDARD, REVERIFICATION, ACCOUNT_INTERVENTION),
UserIdentityService.java (areNamesAndDobCorrelated, …ForReverification, areVcsCorrelated),
NameHelper.java (normalisation); test allowances familyNameChars 5, givenNameChars 3
(local-running/core.local.params.yaml); capabilities-research.md §1.8.
"""

from __future__ import annotations

import pytest

from govsignin.identity.continuity import ContinuityRule, correlated, normalise
from tests.identity.builders import credential, passport, subject

STANDARD, REVERIFICATION, INTERVENTION = ContinuityRule.STANDARD, ContinuityRule.REVERIFICATION, ContinuityRule.ACCOUNT_INTERVENTION


def pair(**new):
    return [passport(), passport(person=subject(**new))]


def test_normalisation_drops_accents_spaces_apostrophes_hyphens_and_case():
    assert normalise("Zoë O’Brien-Smith") == "zoeobriensmith"


@pytest.mark.parametrize("rule", list(ContinuityRule))
def test_every_rule_accepts_the_same_person(rule):
    assert correlated(pair(), rule)


@pytest.mark.parametrize("rule", list(ContinuityRule))
def test_every_rule_refuses_a_different_birth_date(rule):
    assert not correlated(pair(birth="1965-07-09"), rule)


def test_standard_allows_a_new_family_name_with_the_same_given_names():
    assert correlated(pair(family="Whitfield"), STANDARD)


def test_standard_allows_new_given_names_when_the_family_name_starts_the_same():
    assert correlated(pair(given=("Ken",), family="Decerqueira-Smith"), STANDARD)  # first 5: "decer"


def test_standard_refuses_both_names_changed_at_once():
    assert not correlated(pair(given=("Ken",), family="Whitfield"), STANDARD)


def test_reverification_needs_the_start_of_both_names():
    assert correlated(pair(given=("Kenny",), family="Decerqueiro"), REVERIFICATION)  # "ken", "decer"
    assert not correlated(pair(family="Whitfield"), REVERIFICATION)
    assert not correlated(pair(given=("Bob",)), REVERIFICATION)


def test_account_intervention_needs_the_full_name_exactly():
    assert correlated(pair(given=("KENNETH",)), INTERVENTION)  # case is normalised away
    assert not correlated(pair(family="Decerqueiro"), INTERVENTION)
    assert not correlated(pair(family="Whitfield"), INTERVENTION)


def test_the_address_issuers_names_are_left_out_and_failed_checks_do_not_count():
    address = credential("address", person=subject(given=("Someone",), family="Else"))
    failed = passport(validity=0, person=subject(birth="1900-01-01"))
    assert correlated([passport(), address, failed], INTERVENTION)
