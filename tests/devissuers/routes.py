"""The tester's side of each development issuer, and One Login's routes through them
(capabilities-research.md §1.6, new-p2-identity.yaml), for a person in the test register."""

from __future__ import annotations

from tests.devissuers.support import Core, claims


def sub_for(person) -> str:
    return f"urn:fdc:gov.uk:2022:{person.id}"


def passport_form(person, **override) -> dict:
    p = person.record.get("passport") or {"documentNumber": "", "expiryDate": ""}
    form = {"documentNumber": p["documentNumber"], "surname": person.family, "givenNames": " ".join(person.given),
            "birthDate": person.birth_date, "expiryDate": p["expiryDate"]}
    return {**form, **override}


def licence_form(person, **override) -> dict:
    d = person.record["drivingPermit"]
    form = {"personalNumber": d["personalNumber"], "surname": person.family, "givenNames": " ".join(person.given),
            "birthDate": person.birth_date, "issueDate": d["issueDate"], "expiryDate": d["expiryDate"],
            "issueNumber": d["issueNumber"]}
    return {**form, **override}


async def document(core: Core, name: str, person, form: dict):
    sub = sub_for(person)
    await core.start(name, sub, claims(person))
    return await core.redeem(name, await core.post(name, form), sub)


async def address(core: Core, person):
    sub = sub_for(person)
    current = person.record["addresses"][0]
    await core.start("address", sub, claims(person))
    await core.post("address", {"postcode": current["postalCode"]})
    page, _ = await core.page("address")
    options = core.issuers.register.addresses_at(current["postalCode"])
    index = next(i for i, a in enumerate(options) if a == current)
    return await core.redeem("address", await core.post("address", {"address": str(index)}), sub)


async def fraud(core: Core, person, addresses):
    sub = sub_for(person)
    return await core.redeem("fraud", await core.start("fraud", sub, claims(person, addresses)), sub)


async def kbv(core: Core, person, addresses, right=True):
    sub = sub_for(person)
    await core.start("kbv", sub, claims(person, addresses), {"scoringPolicy": "gpg45", "verificationScore": 2})
    session = await core.issuers.issuers["kbv"].protocol.session(core.http.cookies.get("devcri-kbv"))
    answers = {q["question"]: q["answer"] for q in person.record["kbv"]}
    form = {}
    for i, q in enumerate(session["step"]["questions"]):
        wrong = next(o for o in q["options"] if o != answers[q["question"]])
        form[f"q{i}"] = answers[q["question"]] if right else wrong
    return await core.redeem("kbv", await core.post("kbv", form), sub)


async def app(core: Core, person, kind="passport", face="yes"):
    sub = sub_for(person)
    key = "documentNumber" if kind == "passport" else "personalNumber"
    await core.start("app", sub, claims(person))
    await core.post("app", {"documentType": kind, "documentNumber": person.record[kind][key]})
    return await core.redeem("app", await core.post("app", {"faceMatch": face}), sub)


async def post_office(core: Core, person, outcome=True):
    sub = sub_for(person)
    key = "passport" if person.record.get("passport") else "drivingPermit"
    number = person.record[key]["documentNumber" if key == "passport" else "personalNumber"]
    await core.start("post-office", sub, claims(person))
    response = await core.post("post-office", {"documentType": key, "documentNumber": number})
    assert response.status_code == 200 and "reference" in response.text.lower()
    reference = next(c["reference"] for c in await core.issuers.pending_checks() if c["sub"] == sub)
    callback = response.text.split('class="govuk-button" href="')[1].split('"')[0].replace("&amp;", "&")
    pending = await core.redeem("post-office", _Redirect(callback), sub)
    assert pending.pending and pending.jwts == []
    await core.issuers.post_office_result(reference, outcome)
    return await core.collect("post-office", sub)


async def bank_and_nino(core: Core, person):
    sub = sub_for(person)
    bank = person.record["bankAccount"]
    await core.start("bank-account", sub, claims(person))
    first = await core.redeem("bank-account", await core.post("bank-account", bank), sub)
    await core.start("nino", sub, claims(person), {"scoringPolicy": "gpg45", "strengthScore": 2})
    return first + await core.redeem("nino", await core.post("nino", {"nino": person.record["nino"]}), sub)


class _Redirect:
    status_code = 302

    def __init__(self, location):
        self.headers = {"location": location}
        self.text = ""


async def web_route(core: Core, person, doc: str = "passport", right_answers=True):
    vcs = await document(core, doc, person, passport_form(person) if doc == "passport" else licence_form(person))
    return vcs + await after_document(core, person, right_answers)


async def after_document(core: Core, person, right_answers=True):
    addr = await address(core, person)
    addresses = addr[0].subject["address"]
    return addr + await fraud(core, person, addresses) + await kbv(core, person, addresses, right_answers)


async def route(core: Core, person, name: str):
    if name == "web_passport":
        return await web_route(core, person, "passport")
    if name == "web_driving_licence":
        return await web_route(core, person, "driving-licence")
    if name == "app":
        vcs = await app(core, person)
        addr = await address(core, person)
        return vcs + addr + await fraud(core, person, addr[0].subject["address"])
    if name == "post_office":
        addr = await address(core, person)
        return addr + await fraud(core, person, addr[0].subject["address"]) + await post_office(core, person)
    if name == "no_photo_id":
        vcs = await bank_and_nino(core, person)
        return vcs + await after_document(core, person)
    raise ValueError(name)
