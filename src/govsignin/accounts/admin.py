"""Operator-side account creation (`govsignin accounts add`), with the same rules as citizens."""

from __future__ import annotations

import base64
import binascii
import re

import phonenumbers

from govsignin.accounts.service import AccountExists
from govsignin.audit.tags import EventTag

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountInputError(ValueError):
    pass


def e164(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException as exc:
        raise AccountInputError(f"{number!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise AccountInputError(f"{number!r} is not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_totp_secret(secret: str) -> str:
    cleaned = secret.replace(" ", "").upper()
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as exc:
        raise AccountInputError("--totp-secret must be base32 (A–Z, 2–7).") from exc
    if len(raw) < 10:
        raise AccountInputError("--totp-secret must hold at least 80 bits (16 base32 characters).")
    return cleaned


async def add_account(services, email, password, phone=None, totp_secret=None) -> dict:
    if not EMAIL.match(email or "") or len(email) > 256:
        raise AccountInputError(f"{email!r} is not an email address.")
    if not 8 <= len(password) <= 256:
        raise AccountInputError("The password must be 8 to 256 characters.")
    phone = e164(phone) if phone else None
    totp_secret = check_totp_secret(totp_secret) if totp_secret else None
    try:
        user = await services.accounts.create(email, password, phone, totp_secret)
    except AccountExists as exc:
        raise AccountInputError(str(exc)) from exc
    await services.audit.record(EventTag.AccountCreated, user_id=user.id, via="cli")
    return {
        "user_id": user.id,
        "email": user.email,
        "phone_number": user.phone_number,
        "second_factor": "auth_app" if totp_secret else ("sms" if phone else None),
    }
