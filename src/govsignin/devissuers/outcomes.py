"""What a development issuer's check decides, and the pieces of its form."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

IDENTITY_CHECK = ["VerifiableCredential", "IdentityCheckCredential"]
ADDRESS = ["VerifiableCredential", "AddressCredential"]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    hint: str = ""
    kind: str = "text"  # text | radios | date (day, month and year: `<name>-day` …)
    items: tuple[tuple[str, str], ...] = ()  # radios: (value, label)
    width: str = ""


@dataclass(frozen=True)
class Form:
    """A page to show: `fields` to fill in, `facts` to confirm (label, value)."""

    heading: str
    fields: tuple[Field, ...]
    facts: tuple[tuple[str, str], ...] = ()
    intro: str = ""


@dataclass(frozen=True)
class FormError:
    field: str
    text: str


@dataclass(frozen=True)
class Issue:
    """Issue this VC (pass or fail: a failed check is still a VC, as the real issuers')."""

    subject: dict
    evidence: list[dict] = field(default_factory=list)
    types: list[str] = field(default_factory=lambda: list(IDENTITY_CHECK))

    def credential(self) -> dict:
        return {"types": self.types, "subject": self.subject, "evidence": self.evidence}


@dataclass(frozen=True)
class Pending:
    """The check finishes later (the Post Office): the citizen gets a reference."""

    reference: str


def txn() -> str:
    return secrets.token_hex(10)


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def parse_date(value: str) -> dt.date | None:
    if not ISO_DATE.match(value or ""):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def join_dates(form: dict, fields) -> dict:
    """A date input's day, month and year as one YYYY-MM-DD value (as typed, so a bad date
    stays bad); a value posted whole is kept."""
    joined = dict(form)
    for f in fields:
        parts = [form.get(f"{f.name}-{p}", "").strip() for p in ("year", "month", "day")]
        if f.kind == "date" and any(parts):
            year, month, day = parts
            joined[f.name] = f"{year.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}" if all(p.isdigit() for p in parts) else "invalid"
    return joined


def required(form: dict, *names: str) -> FormError | None:
    for name in names:
        if not (form.get(name) or "").strip():
            return FormError(name, "Enter this detail as it appears on the document")
    return None


def dates(form: dict, *names: str) -> FormError | None:
    for name in names:
        if parse_date(form.get(name, "").strip()) is None:
            return FormError(name, "Enter a real date, with a day, month and year")
    return None


def typed_subject(form: dict) -> dict:
    given = [g for g in (form.get("givenNames") or "").split() if g]
    parts = [{"type": "GivenName", "value": g} for g in given] + [{"type": "FamilyName", "value": form.get("surname", "").strip()}]
    return {"name": [{"nameParts": parts}], "birthDate": [{"value": form.get("birthDate", "").strip()}]}
