"""Legacy account files for the migration tests: one account per supported hash format, with
the hashes made by libpass as the old systems made them."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pyotp

PASSWORD = "correct horse battery staple 42"

# (format name, how the old system hashed); fast parameters where the scheme has them.
HASHERS = {
    "bcrypt": lambda h, pw: h.bcrypt.using(rounds=4).hash(pw),
    "bcrypt_2a": lambda h, pw: h.bcrypt.using(rounds=4, ident="2a").hash(pw),
    "bcrypt_sha256": lambda h, pw: h.bcrypt_sha256.using(rounds=4).hash(pw),
    "django_bcrypt_sha256": lambda h, pw: h.django_bcrypt_sha256.using(rounds=4).hash(pw),
    "django_pbkdf2_sha256": lambda h, pw: h.django_pbkdf2_sha256.using(rounds=1000).hash(pw),
    "sha512_crypt": lambda h, pw: h.sha512_crypt.using(rounds=1000).hash(pw),
    "sha256_crypt": lambda h, pw: h.sha256_crypt.using(rounds=1000).hash(pw),
    "md5_crypt": lambda h, pw: h.md5_crypt.hash(pw),
    "ssha": lambda h, pw: h.ldap_salted_sha1.hash(pw),
    "ssha512": lambda h, pw: h.ldap_salted_sha512.hash(pw),
    "scrypt": lambda h, pw: h.scrypt.using(rounds=8).hash(pw),
    "argon2id_other": lambda h, pw: h.argon2.using(type="id", memory_cost=8192, rounds=3, parallelism=2).hash(pw),
    "argon2i": lambda h, pw: h.argon2.using(type="i", memory_cost=8192, rounds=2).hash(pw),
    "django_argon2": lambda h, pw: h.django_argon2.using(memory_cost=8192, rounds=2).hash(pw),
}


def legacy_hash(kind: str, password: str = PASSWORD) -> str:
    from passlib import hash as h

    return HASHERS[kind](h, password)


def one_row_per_format(system: str, password: str = PASSWORD) -> list[dict]:
    """One verified account per hash format, each with a phone and a TOTP secret."""
    tag = uuid.uuid4().hex[:8]
    rows = []
    for n, kind in enumerate(HASHERS):
        rows.append({
            "email": f"legacy-{kind}-{tag}@example.com", "email_verified": True,
            "phone": "07911 123" + f"{n:03d}", "password_hash": legacy_hash(kind, password),
            "totp_secret": pyotp.random_base32(), "legacy_system": system, "legacy_id": f"{kind}-{tag}",
            "created_at": "2015-03-01T09:30:00Z",
        })
    return rows


def jsonl(rows: list[dict]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in r.items()})
    return out.getvalue().encode()
