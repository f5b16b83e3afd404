"""The password rules (One Login's PasswordValidator), as GOV.UK error messages.

8 to 256 characters, at least one digit and one non-digit, not a common password
(accounts/common_passwords.py), and typed the same twice. `password_problem` returns the first
rule broken as an (field, message) pair, or None. Messages are marked with N_() for Welsh.
"""

from __future__ import annotations

from govsignin.accounts.common_passwords import is_common
from govsignin.web.i18n import N_

MIN_LENGTH, MAX_LENGTH = 8, 256


def password_problem(password: str, confirm: str | None = None) -> tuple[str, str] | None:
    if not password:
        return "password", N_("Enter a password")
    if len(password) < MIN_LENGTH:
        return "password", N_("Your password must be at least 8 characters long")
    if len(password) > MAX_LENGTH:
        return "password", N_("Your password must be 256 characters or fewer")
    if not (any(c.isdigit() for c in password) and any(not c.isdigit() for c in password)):
        return "password", N_("Your password must contain letters and numbers")
    if is_common(password):
        return "password", N_(
            "Enter a stronger password. Do not use very common passwords, such as ‘password’ or a sequence of numbers"
        )
    if confirm is not None:
        if not confirm:
            return "confirm-password", N_("Re-type your password")
        if confirm != password:
            return "confirm-password", N_("Enter the same password in both fields")
    return None
