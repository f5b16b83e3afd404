"""Mobile phone numbers for security codes by text message: UK or international, stored E.164.

`parse_mobile(text)` returns ("+447700900123", None) or (None, error message). A number without
a country code is read as a UK number; with one (+33…, 0033…) as that country's. Only numbers
that can be mobiles are accepted (a landline cannot receive texts).
"""

from __future__ import annotations

from govsignin.web.i18n import N_


def parse_mobile(text: str) -> tuple[str | None, str | None]:
    raw = (text or "").strip()
    if not raw:
        return None, N_("Enter a mobile phone number")
    if len(raw) > 40 or not all(c.isdigit() or c in " +-()." for c in raw):
        return None, N_("Enter a mobile phone number using only numbers, or + for a country code")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    import phonenumbers  # imported when a number is entered (its metadata loads per country anyway)
    from phonenumbers import PhoneNumberType

    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        return None, N_("Enter a mobile phone number in the correct format, like 07700 900 982 or +33 6 12 34 56 78")
    if not phonenumbers.is_valid_number(number):
        return None, N_("Enter a mobile phone number in the correct format, like 07700 900 982 or +33 6 12 34 56 78")
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None, N_("Enter a mobile phone number, not a landline")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def redact(e164: str) -> str:
    """What pages show of a number: its last 3 digits (as One Login does)."""
    return e164[-3:]
