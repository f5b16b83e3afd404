"""Every person in test-identities.json reaches the outcome its `expect` names: their routes
through the development issuers over HTTP, each VC verified, the bundle assessed at P2."""

from __future__ import annotations

import json

import pytest

from govsignin.devissuers.register import DATA
from govsignin.identity.assessment import Reason, assess
from govsignin.identity.continuity import ContinuityRule
from tests.devissuers import routes
from tests.identity.builders import fraud, kbv, passport, subject

IDENTITIES = {p["id"]: p for p in json.loads(DATA.read_text())["identities"]}


def test_the_register_is_shared_designs_test_identities():
    assert set(IDENTITIES) == {
        "kenneth-decerqueira", "mary-oyelaran", "arthur-pendleton-deceased", "sofia-marin-expired-passport",
        "idris-single-name", "grace-holloway-name-change", "pat-quinn-kbv-fails",
    }


@pytest.mark.parametrize("route", ["web_passport", "web_driving_licence", "app", "post_office", "no_photo_id"])
async def test_kenneth_proves_p2_on_every_route(core, person, route):
    assert IDENTITIES["kenneth-decerqueira"]["expect"][route] == "P2"
    outcome = assess(await routes.route(core, person("kenneth-decerqueira"), route), "P2")
    assert (outcome.vot, outcome.reason) == ("P2", Reason.MET), outcome


async def test_mary_proves_p2_with_her_licence_and_has_no_passport_on_record(core, person):
    mary = person("mary-oyelaran")
    assert assess(await routes.route(core, mary, "web_driving_licence"), "P2").vot == "P2"
    failed = await routes.document(core, "passport", mary, routes.passport_form(mary, documentNumber="123456789", expiryDate="2030-01-01"))
    assert failed[0].evidence[0]["validityScore"] == 0 and failed[0].contra_indicators == ("NEEDS-ALTERNATE-DOC",)
    outcome = assess(failed, "P2")
    assert (outcome.vot, outcome.mitigation) == ("P0", "alternate-doc")  # another route is offered


async def test_arthur_is_refused_by_the_mortality_contra_indicator(core, person):
    arthur = person("arthur-pendleton-deceased")
    vcs = await routes.document(core, "passport", arthur, routes.passport_form(arthur))
    addr = await routes.address(core, arthur)
    vcs += addr + await routes.fraud(core, arthur, addr[0].subject["address"])
    assert "MORTALITY" in vcs[-1].contra_indicators
    outcome = assess(vcs, "P2")
    assert (outcome.vot, outcome.reason, outcome.return_codes) == ("P0", Reason.CONTRA_INDICATORS, ["D"])


async def test_sofias_expired_passport_fails_validity_and_her_licence_proves_p2(core, person):
    sofia = person("sofia-marin-expired-passport")
    expired = await routes.document(core, "passport", sofia, routes.passport_form(sofia))
    assert expired[0].evidence[0]["validityScore"] == 0
    assert assess(expired, "P2").mitigation == "alternate-doc"
    licence = await routes.document(core, "driving-licence", sofia, routes.licence_form(sofia))
    outcome = assess(expired + licence + await routes.after_document(core, sofia), "P2")
    assert (outcome.vot, outcome.profile) == ("P2", "M1B")


async def test_idris_cannot_use_a_non_uk_passport_on_the_web_and_proves_p2_at_the_post_office(core, person):
    idris = person("idris-single-name")
    sub = routes.sub_for(idris)
    await core.start("passport", sub, idris.subject())
    refused = await core.post("passport", routes.passport_form(idris))
    assert refused.status_code == 400 and "only check UK passports" in refused.text
    _, token = await core.page("passport")
    another_way = await core.http.post("/dev/cri/passport/another-way", data={"csrf_token": token})
    assert "error=access_denied" in another_way.headers["location"]
    outcome = assess(await routes.route(core, idris, "post_office"), "P2")
    assert (outcome.vot, outcome.reason) == ("P2", Reason.MET)


async def test_grace_changes_her_family_name_under_the_standard_continuity_rule(core, person):
    grace = person("grace-holloway-name-change")
    whitfield = subject(given=("Grace",), family="Whitfield", birth="1990-05-05")
    stored = [passport(person=whitfield, age_days=400), fraud(person=whitfield, age_days=400), kbv(person=whitfield, age_days=400)]
    new = await routes.document(core, "passport", grace, routes.passport_form(grace))
    addr = await routes.address(core, grace)
    new += addr + await routes.fraud(core, grace, addr[0].subject["address"])
    assert assess(new, "P2", stored=stored, continuity=ContinuityRule.STANDARD).vot == "P2"
    assert assess(new, "P2", stored=stored, continuity=ContinuityRule.ACCOUNT_INTERVENTION).reason is Reason.CONTINUITY


async def test_pat_answers_wrongly_and_ends_at_p0_without_a_contra_indicator(core, person):
    pat = person("pat-quinn-kbv-fails")
    vcs = await routes.web_route(core, pat, "passport", right_answers=False)
    assert vcs[-1].evidence[0]["verificationScore"] == 0
    outcome = assess(vcs, "P2")
    assert (outcome.vot, outcome.reason, outcome.return_codes) == ("P0", Reason.SCORES_TOO_LOW, ["X"])
