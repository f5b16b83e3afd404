"""The document issuers: passport (HM Passport Office), driving licence (DVLA), the app
(document chip and face match) and the Post Office in person. Scores as capabilities-research.md
§1.4 and onelogin-contract.md §3: a UK passport 4/2, a driving licence 3/2, the app's passport
4/3 with a face match at level 3, the Post Office's photo check at level 3."""

from __future__ import annotations

import secrets

from govsignin.devissuers.outcomes import (
    Field, Form, FormError, Issue, Pending, dates, parse_date, required, today, txn, typed_subject,
)
from govsignin.devissuers.register import Register, matches_name

NAME_FIELDS = (
    Field("surname", "Last name"),
    Field("givenNames", "Given names", "All given names, separated by spaces. Leave empty if you have none"),
    Field("birthDate", "Date of birth", "For example, 8 7 1965", kind="date"),
)
MISMATCH = {"checkMethod": "data", "identityCheckPolicy": "published"}


def _failed(strength: int, subject: dict, **extra) -> Issue:
    check = {"type": "IdentityCheck", "txn": txn(), "strengthScore": strength, "validityScore": 0,
             "failedCheckDetails": [MISMATCH], "ci": ["NEEDS-ALTERNATE-DOC"], **extra}
    return Issue(subject, [check])


def _same_person(person, form: dict) -> bool:
    return matches_name(person, form.get("givenNames", ""), form.get("surname", "")) and person.birth_date == form.get("birthDate", "").strip()


class Passport:
    name, kind, title = "passport", "passport", "Development passport check"

    def form(self, session: dict) -> Form:
        return Form("Enter your UK passport details", (
            Field("documentNumber", "Passport number", "9 digits, on the photo page", width="govuk-input--width-10"),
            *NAME_FIELDS,
            Field("expiryDate", "Expiry date", "For example, 1 1 2030", kind="date"),
        ))

    def check(self, register: Register, session: dict, form: dict):
        problem = required(form, "documentNumber", "surname") or dates(form, "birthDate", "expiryDate")
        if problem:
            return problem
        number = form["documentNumber"].strip()
        person = register.by_document("passport", "documentNumber", number)
        if person is not None and person.record["passport"]["icaoIssuerCode"] != "GBR":
            return FormError("documentNumber", "This service can only check UK passports. Prove your identity another way")
        typed = {**typed_subject(form), "passport": [{"documentNumber": number, "expiryDate": form["expiryDate"].strip(), "icaoIssuerCode": "GBR"}]}
        if person is None or not _same_person(person, form) or person.record["passport"]["expiryDate"] != form["expiryDate"].strip():
            return _failed(4, typed)  # no such passport on record
        if parse_date(person.record["passport"]["expiryDate"]) < today():
            return _failed(4, typed)  # expired: not valid evidence
        subject = {**person.subject(), "passport": [dict(person.record["passport"])]}
        return Issue(subject, [{"type": "IdentityCheck", "txn": txn(), "strengthScore": 4, "validityScore": 2,
                                "checkDetails": [MISMATCH]}])


class DrivingLicence:
    name, kind, title = "driving-licence", "driving-licence", "Development driving licence check"

    def form(self, session: dict) -> Form:
        return Form("Enter your UK photocard driving licence details", (
            Field("personalNumber", "Licence number", "16 characters, in section 5", width="govuk-input--width-20"),
            *NAME_FIELDS,
            Field("issueDate", "Issue date", "Section 4a, for example 19 4 2018", kind="date"),
            Field("expiryDate", "Valid to", "Section 4b, for example 18 4 2028", kind="date"),
            Field("issueNumber", "Issue number", "The 2 digits after the licence number", width="govuk-input--width-2"),
        ))

    def check(self, register: Register, session: dict, form: dict):
        problem = required(form, "personalNumber", "surname", "issueNumber") or dates(form, "birthDate", "issueDate", "expiryDate")
        if problem:
            return problem
        number = form["personalNumber"].strip().upper()
        person = register.by_document("drivingPermit", "personalNumber", number)
        permit = {"personalNumber": number, "issuedBy": "DVLA", "issueNumber": form["issueNumber"].strip(),
                  "issueDate": form["issueDate"].strip(), "expiryDate": form["expiryDate"].strip()}
        typed = {**typed_subject(form), "drivingPermit": [permit]}
        held = (person.record.get("drivingPermit") or {}) if person else {}
        if person is None or not _same_person(person, form) or any(held.get(k) != permit[k] for k in ("issueNumber", "issueDate", "expiryDate")):
            return _failed(3, typed)
        if parse_date(held["expiryDate"]) < today():
            return _failed(3, typed)
        subject = {**person.subject(), "drivingPermit": [dict(held)]}
        return Issue(subject, [{"type": "IdentityCheck", "txn": txn(), "strengthScore": 3, "validityScore": 2,
                                "activityHistoryScore": 1, "checkDetails": [{**MISMATCH, "activityFrom": held["issueDate"]}]}])


DOCUMENT_CHOICES = (("passport", "Passport"), ("drivingPermit", "Photocard driving licence"))


def _find_document(register: Register, kind: str, number: str):
    key = "documentNumber" if kind == "passport" else "personalNumber"
    return register.by_document(kind, key, number.strip()) if kind in ("passport", "drivingPermit") else None


class App:
    """The development app: the tester confirms what the chip would show and whether the
    selfie matched, instead of a phone reading a document."""

    name, kind, title = "app", "app", "Development app check (document and face)"

    def form(self, session: dict) -> Form:
        step = session["step"]
        if not step.get("person"):
            return Form("Which document did the app scan?", (
                Field("documentType", "Document", kind="radios", items=DOCUMENT_CHOICES),
                Field("documentNumber", "Document number", "The passport number or licence number", width="govuk-input--width-20"),
            ))
        facts = tuple((k, str(v)) for k, v in step["document"].items()) + (("Name", step["name"]), ("Date of birth", step["birthDate"]))
        return Form("Confirm the document details", (
            Field("faceMatch", "Did the selfie match the photo on the document?", kind="radios", items=(("yes", "Yes"), ("no", "No"))),
        ), facts=facts, intro="The app read these details from the document's chip.")

    def check(self, register: Register, session: dict, form: dict):
        step = session["step"]
        if not step.get("person"):
            problem = required(form, "documentType", "documentNumber")
            if problem:
                return problem
            person = _find_document(register, form["documentType"], form["documentNumber"])
            if person is None:
                return FormError("documentNumber", "The test register has no document with this number")
            step.update(person=person.id, kind=form["documentType"], document=person.record[form["documentType"]],
                        name=" ".join([*person.given, person.family]), birthDate=person.birth_date)
            return None  # next page: confirm
        if form.get("faceMatch") not in ("yes", "no"):
            return FormError("faceMatch", "Select yes if the selfie matched the photo")
        person = register.by_id(step["person"])
        document = dict(step["document"])
        subject = {**person.subject(), step["kind"]: [document]}
        strength, validity = (4, 3) if step["kind"] == "passport" else (3, 2)
        if parse_date(document["expiryDate"]) < today():
            validity = 0
        check = {"type": "IdentityCheck", "txn": txn(), "strengthScore": strength, "validityScore": validity,
                 "checkDetails": [{"checkMethod": "vcrypt", "identityCheckPolicy": "published"}]}
        if form["faceMatch"] == "yes":
            check["checkDetails"].append({"checkMethod": "bvr", "biometricVerificationProcessLevel": 3})
        else:
            check["failedCheckDetails"] = [{"checkMethod": "bvr", "biometricVerificationProcessLevel": 3}]
            check["ci"] = ["NEEDS-LIVENESS-LIKENESS"]
        return Issue(subject, [check])


class PostOffice:
    """In person: the citizen chooses a document and gets a reference; the branch's result
    comes later (`govsignin dev-issuers post-office-result` or the operator page)."""

    name, kind, title = "post-office", "post-office", "Development Post Office identity check"
    DAYS_TO_VISIT = 16

    def form(self, session: dict) -> Form:
        return Form("Which photo ID will you take to the Post Office?", (
            Field("documentType", "Photo ID", kind="radios", items=(
                ("passport", "UK passport or non-UK passport"), ("drivingPermit", "UK photocard driving licence"),
            )),
            Field("documentNumber", "Document number", width="govuk-input--width-20"),
        ))

    def check(self, register: Register, session: dict, form: dict):
        problem = required(form, "documentType", "documentNumber")
        if problem:
            return problem
        person = _find_document(register, form["documentType"], form["documentNumber"])
        if person is None:
            return FormError("documentNumber", "The test register has no document with this number")
        session["step"].update(person=person.id, kind=form["documentType"])
        return Pending("".join(secrets.choice("0123456789") for _ in range(16)))

    @staticmethod
    def result(register: Register, person_id: str, kind: str, passed: bool) -> Issue:
        person = register.by_id(person_id)
        document = dict(person.record[kind])
        strength, validity = (4, 3) if kind == "passport" else (3, 2)
        check = {"type": "IdentityCheck", "txn": txn(), "strengthScore": strength,
                 "validityScore": validity if passed else 0, "verificationScore": 3 if passed else 0}
        details = [{"checkMethod": "vri", "identityCheckPolicy": "published"}, {"checkMethod": "pvr", "photoVerificationProcessLevel": 3}]
        check["checkDetails" if passed else "failedCheckDetails"] = details
        return Issue({**person.subject(), kind: [document]}, [check])
