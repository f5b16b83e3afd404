"""The record issuers: address, fraud (a credit reference agency's file), knowledge-based
questions, bank account and National Insurance. Scores as capabilities-research.md §1.2–1.6:
fraud 2 with activity 1 for a clean file, KBV verification 2 for every answer right, a bank
account 3/2, a National Insurance record 2/2."""

from __future__ import annotations

import datetime as dt

from govsignin.devissuers.outcomes import ADDRESS, Field, Form, FormError, Issue, parse_date, required, today, txn
from govsignin.devissuers.register import Register, fold

ACTIVITY_DAYS = 180  # a file older than this shows activity history
KBV_QUESTIONS = 3
# Wrong options of the same kind as the answer, so the right one does not stand out.
KBV_DISTRACTORS = {
    "£": ["£100 to £199", "£800 to £899", "£900 to £999"],
    "year": ["1985", "1992", "2015"],
    "other": ["Another Mobile Ltd", "Phone Company plc", "Network Telecom"],
}


def _distractors(answer: str) -> list[str]:
    kind = "£" if answer.startswith("£") else "year" if answer.isdigit() else "other"
    return KBV_DISTRACTORS[kind]


def _claims_subject(session: dict) -> dict:
    shared = session["shared_claims"]
    return {k: shared[k] for k in ("name", "birthDate", "address") if shared.get(k)}


class Address:
    name, kind, title = "address", "address", "Development address check"

    def form(self, session: dict) -> Form:
        step = session["step"]
        if not step.get("postcode"):
            return Form("What is your postcode?", (Field("postcode", "Postcode", width="govuk-input--width-10"),))
        items = tuple((str(i), ", ".join(filter(None, [a.get("buildingNumber"), a.get("streetName"), a.get("addressLocality"), a["postalCode"]])))
                      for i, a in enumerate(step["addresses"]))
        return Form("Choose your address", (Field("address", "Address", kind="radios", items=items),))

    def check(self, register: Register, session: dict, form: dict):
        step = session["step"]
        if not step.get("postcode"):
            problem = required(form, "postcode")
            if problem:
                return problem
            found = register.addresses_at(form["postcode"])
            if not found:
                return FormError("postcode", "No addresses were found for this postcode")
            step.update(postcode=form["postcode"].strip(), addresses=found)
            return None
        chosen = form.get("address", "")
        if not chosen.isdigit() or int(chosen) >= len(step["addresses"]):
            return FormError("address", "Select your address")
        address = {k: v for k, v in step["addresses"][int(chosen)].items() if k != "validUntil"}
        return Issue({"address": [address]}, [], types=list(ADDRESS))


class Fraud:
    """No form: the check runs on the shared claims, as the real one does."""

    name, kind, title = "fraud", "fraud", "Development fraud check"

    def form(self, session: dict) -> Form | None:
        return None

    def check(self, register: Register, session: dict, form: dict):
        person = register.by_claims(session["shared_claims"])
        subject = _claims_subject(session)
        checks = [{"fraudCheck": "mortality_check"}, {"fraudCheck": "identity_theft_check"},
                  {"fraudCheck": "synthetic_identity_check"}, {"fraudCheck": "impersonation_check"}]
        evidence = {"type": "IdentityCheck", "txn": txn()}
        if person is None:
            return Issue(subject, [{**evidence, "identityFraudScore": 0, "failedCheckDetails": [{"checkMethod": "data"}]}])
        failed, cis = [], []
        if "deceased" in person.flags:
            failed.append(checks[0])
            cis.append("MORTALITY")
        if "identity-theft" in person.flags:
            failed.append(checks[1])
            cis.append("IDENTITY-THEFT")
        passed = [c for c in checks if c not in failed]
        earliest = min((parse_date(a["validFrom"]) for a in person.record.get("addresses", []) if a.get("validFrom")), default=None)
        activity = int(earliest is not None and today() - earliest > dt.timedelta(days=ACTIVITY_DAYS))
        evidence.update(identityFraudScore=0 if "MORTALITY" in cis else (1 if cis else 2), activityHistoryScore=activity,
                        checkDetails=[*passed, {"checkMethod": "data", **({"activityFrom": earliest.isoformat()} if earliest else {})}])
        if failed:
            evidence.update(failedCheckDetails=failed, ci=cis)
        return Issue(subject, [evidence])


class KnowledgeBased:
    """Multiple-choice questions from the person's records in the register; each wrong answer
    lowers the verification score (3 right: 2, 2 right: 1, otherwise 0)."""

    name, kind, title = "kbv", "kbv", "Development security questions"

    def _questions(self, register: Register, session: dict) -> list[dict]:
        step = session["step"]
        if "questions" not in step:
            person = register.by_claims(session["shared_claims"])
            step["questions"] = [
                {"question": q["question"], "options": sorted({q["answer"], *register.kbv_pool(q["question"]), *_distractors(q["answer"])})}
                for q in (person.record.get("kbv", []) if person else [])[:KBV_QUESTIONS]
            ]
            step["person"] = person.id if person else None
        return step["questions"]

    def form(self, session: dict, register: Register | None = None) -> Form | None:
        questions = self._questions(register or Register.load(), session)
        if not questions:
            return None  # nothing to ask: the check fails at once
        return Form("Answer security questions", tuple(
            Field(f"q{i}", q["question"], kind="radios", items=tuple((o, o) for o in q["options"]))
            for i, q in enumerate(questions)
        ), intro="These questions come from the test register's records.")

    def check(self, register: Register, session: dict, form: dict):
        questions = self._questions(register, session)
        for i in range(len(questions)):
            if not form.get(f"q{i}") and questions:
                return FormError(f"q{i}", "Select an answer")
        person = register.by_id(session["step"]["person"]) if session["step"].get("person") else None
        answers = {q["question"]: q["answer"] for q in (person.record.get("kbv", []) if person else [])}
        right = sum(fold(form.get(f"q{i}", "")) == fold(answers.get(q["question"], "")) for i, q in enumerate(questions))
        score = {3: 2, 2: 1}.get(right, 0)
        detail = {"checkMethod": "kbv", "kbvResponseMode": "multiple_choice", "kbvQuality": 3}
        evidence = {"type": "IdentityCheck", "txn": txn(), "verificationScore": score,
                    "checkDetails": [detail] * right, "failedCheckDetails": [detail] * (len(questions) - right)}
        evidence = {k: v for k, v in evidence.items() if v != []}
        return Issue(_claims_subject(session), [evidence])


class BankAccount:
    name, kind, title = "bank-account", "bank-account", "Development bank account check"

    def form(self, session: dict) -> Form:
        return Form("Enter your bank account details", (
            Field("sortCode", "Sort code", "Must be 6 digits long", width="govuk-input--width-5"),
            Field("accountNumber", "Account number", "Must be between 6 and 8 digits long", width="govuk-input--width-10"),
        ))

    def check(self, register: Register, session: dict, form: dict):
        sort_code = "".join(ch for ch in form.get("sortCode", "") if ch.isdigit())
        account = "".join(ch for ch in form.get("accountNumber", "") if ch.isdigit())
        if len(sort_code) != 6:
            return FormError("sortCode", "Enter a valid sort code, like 309430")
        if not 6 <= len(account) <= 8:
            return FormError("accountNumber", "Enter a valid account number, like 00733445")
        person = register.by_claims(session["shared_claims"])
        held = (person.record.get("bankAccount") or {}) if person else {}
        subject = {**_claims_subject(session), "bankAccount": [{"sortCode": sort_code, "accountNumber": account.zfill(8)}]}
        ok = held.get("sortCode") == sort_code and held.get("accountNumber") == account.zfill(8)
        evidence = {"type": "IdentityCheck", "txn": txn(), "strengthScore": 3, "validityScore": 2 if ok else 0,
                    ("checkDetails" if ok else "failedCheckDetails"): [{"checkMethod": "data", "identityCheckPolicy": "none"}]}
        return Issue(subject, [evidence])


class NationalInsurance:
    name, kind, title = "nino", "nino", "Development National Insurance number check"

    def form(self, session: dict) -> Form:
        return Form("Enter your National Insurance number", (
            Field("nino", "National Insurance number", "It’s on your National Insurance card, benefit letter, payslip or P60. For example, ‘QQ 12 34 56 C’", width="govuk-input--width-10"),
        ))

    def check(self, register: Register, session: dict, form: dict):
        nino = "".join(form.get("nino", "").split()).upper()
        if len(nino) != 9:
            return FormError("nino", "Enter a National Insurance number in the correct format")
        person = register.by_claims(session["shared_claims"])
        ok = person is not None and person.record.get("nino") == nino
        evidence = {"type": "IdentityCheck", "txn": txn(), "strengthScore": 2, "validityScore": 2 if ok else 0,
                    ("checkDetails" if ok else "failedCheckDetails"): [{"checkMethod": "data"}]}
        return Issue({**_claims_subject(session), "socialSecurityRecord": [{"personalNumber": nino}]}, [evidence])
