"""The test register every development issuer checks against: the people in
`data/test-identities.json`, as a passport office, DVLA, a credit reference agency, a bank
and HMRC would each hold them."""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "test-identities.json"


@dataclass(frozen=True)
class Person:
    id: str
    record: dict

    @property
    def given(self) -> list[str]:
        return self.record["name"]["given"]

    @property
    def family(self) -> str:
        return self.record["name"]["family"]

    @property
    def birth_date(self) -> str:
        return self.record["birthDate"]

    @property
    def flags(self) -> list[str]:
        return self.record.get("flags", [])

    def name_claim(self) -> list[dict]:
        parts = [{"type": "GivenName", "value": g} for g in self.given] + [{"type": "FamilyName", "value": self.family}]
        return [{"nameParts": parts}]

    def subject(self) -> dict:
        return {"name": self.name_claim(), "birthDate": [{"value": self.birth_date}]}


def fold(text: str) -> str:
    """Case, accents, spaces and punctuation ignored: what a register's matching tolerates."""
    decomposed = unicodedata.normalize("NFD", text or "")
    return "".join(ch for ch in decomposed if ch.isalnum()).lower()


class Register:
    def __init__(self, people: list[Person]):
        self.people = people

    @classmethod
    @functools.cache
    def load(cls, path: Path = DATA) -> Register:
        data = json.loads(path.read_text())
        return cls([Person(p["id"], p) for p in data["identities"]])

    def by_id(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def by_document(self, kind: str, key: str, value: str) -> Person | None:
        return next((p for p in self.people if fold((p.record.get(kind) or {}).get(key, "")) == fold(value) and value), None)

    def by_claims(self, shared_claims: dict) -> Person | None:
        """The person the shared claims describe: name and date of birth (a previous name counts,
        as a credit file keeps it)."""
        names = shared_claims.get("name") or []
        births = {b.get("value") for b in shared_claims.get("birthDate") or []}
        for person in self.people:
            if person.birth_date not in births:
                continue
            known = [person.record["name"], *person.record.get("previousNames", [])]
            for name in names:
                given = [p["value"] for p in name.get("nameParts", []) if p.get("type") == "GivenName"]
                family = " ".join(p["value"] for p in name.get("nameParts", []) if p.get("type") == "FamilyName")
                if any(fold(" ".join(given)) == fold(" ".join(k["given"])) and fold(family) == fold(k["family"]) for k in known):
                    return person
        return None

    def addresses_at(self, postcode: str) -> list[dict]:
        found, seen = [], set()
        for person in self.people:
            for address in person.record.get("addresses", []):
                key = (address.get("buildingNumber"), address.get("streetName"), address["postalCode"])
                if fold(address["postalCode"]) == fold(postcode) and key not in seen:
                    seen.add(key)
                    found.append(address)
        return found

    def kbv_pool(self, question: str) -> list[str]:
        """Every answer the register holds for a question: the wrong options of a multiple choice."""
        return sorted({q["answer"] for p in self.people for q in p.record.get("kbv", []) if q["question"] == question})


def matches_name(person: Person, given: str, family: str) -> bool:
    return fold(given) == fold(" ".join(person.given)) and fold(family) == fold(person.family)
