"""Creating an account (One Login's create journey), and the text-message code at sign-in.

sign-in-or-create → enter-email-create → check-your-email → create-password → get-security-codes
  → enter-phone-number → check-your-phone ┐
  → setup-authenticator-app               ├→ account-created → auth-code
  → create-passkey                        ┘
Too many wrong codes → security-code-entered-too-many-times (15 minutes, the "registering" rule);
too many re-sends → security-code-requested-too-many-times (2 hours).

Sign-in by text message: enter-password → enter-code (machine.needs_sms_code) → auth-code.

Setting up a first second factor for an existing account that has none (imported without one),
at a Cl.Cm request once its password is proven (machine.needs_factor_setup): the same pages from
get-security-codes, writing the factor to that account (FACTOR_ADDED), then auth-code.

Pages: journeys/pages/create_account.py. Values kept in journey.data: "create" (a dict: email
verified, password hash, phone, authenticator secret, passkey user handle).
"""

from __future__ import annotations

from govsignin.journeys.machine import both_factors, extend, reauthenticating, setting_up_factor
from govsignin.journeys.states import Event, Fact, State

SignIn = State  # one enum for every flow


def _create(*keys: str):
    """The values earlier pages of this flow must have set (else the journey is stale)."""

    def guard(j) -> bool:
        values = j.data.get("create") or {}
        return all(values.get(k) for k in keys)

    guard.__name__ = "create_has_" + "_".join(keys)
    return guard


def _create_or_setup(*keys: str, setup_keys: tuple[str, ...] = ()):
    """A page shared by account creation and an existing account's first factor."""
    creating, setting_up = _create(*keys), _create(*setup_keys)

    def guard(j) -> bool:
        return creating(j) or (setting_up_factor(j) and setting_up(j))

    guard.__name__ = f"{creating.__name__}_or_setting_up_factor"
    return guard


S, E = State, Event
BLOCKS = {
    E.CODE_ENTRY_BLOCKED: [(None, S.CODE_ENTERED_TOO_MANY)],
    E.CODE_REQUESTS_BLOCKED: [(None, S.CODE_REQUESTED_TOO_MANY)],
}

# An existing account's first factor, written: on to the service.
ADDED = {E.FACTOR_ADDED: [(None, S.AUTH_CODE)]}

extend(
    {
        S.SIGN_IN_OR_CREATE: {E.CREATE_CHOSEN: [(None, S.ENTER_EMAIL_CREATE)]},
        S.ENTER_EMAIL_CREATE: {E.EMAIL_CODE_SENT: [(None, S.CHECK_YOUR_EMAIL)], **BLOCKS},
        S.CHECK_YOUR_EMAIL: {E.EMAIL_VERIFIED: [(None, S.CREATE_PASSWORD)], **BLOCKS},
        S.CREATE_PASSWORD: {E.PASSWORD_CREATED: [(None, S.GET_SECURITY_CODES)]},
        S.GET_SECURITY_CODES: {
            E.PASSKEY_CHOSEN: [(None, S.CREATE_PASSKEY)],
            E.SMS_CHOSEN: [(None, S.ENTER_PHONE_NUMBER)],
            E.AUTH_APP_CHOSEN: [(None, S.SETUP_AUTH_APP)],
        },
        S.ENTER_PHONE_NUMBER: {E.PHONE_CODE_SENT: [(None, S.CHECK_YOUR_PHONE)], **BLOCKS},
        S.CHECK_YOUR_PHONE: {E.ACCOUNT_WRITTEN: [(None, S.ACCOUNT_CREATED)], **ADDED, **BLOCKS},
        S.SETUP_AUTH_APP: {E.ACCOUNT_WRITTEN: [(None, S.ACCOUNT_CREATED)], **ADDED, **BLOCKS},
        S.CREATE_PASSKEY: {E.ACCOUNT_WRITTEN: [(None, S.ACCOUNT_CREATED)], **ADDED},
        S.ACCOUNT_CREATED: {E.CONTINUED: [(None, S.AUTH_CODE)]},
        S.CODE_ENTERED_TOO_MANY: {},
        S.CODE_REQUESTED_TOO_MANY: {},
        # /enter-code: the text-message code at sign-in (the recovery flow adds "another method").
        S.ENTER_SMS_CODE: {
            E.MFA_CODE_VERIFIED: [(None, S.AUTH_CODE)],
            E.CODE_LOCKED: [(reauthenticating, S.LOGIN_REQUIRED), (None, S.SECURITY_CODE_LOCKED)],
            E.CODE_REQUESTS_BLOCKED: [(None, S.CODE_REQUESTED_TOO_MANY)],
        },
    },
    # Back to change the email (a new code is then needed), the password, the choice or the number.
    revisitable={S.ENTER_EMAIL_CREATE, S.CREATE_PASSWORD, S.GET_SECURITY_CODES, S.ENTER_PHONE_NUMBER},
    # The new account's password and second factor were both set in this journey.
    # FACTOR_ADDED: the factor just set up and confirmed (the password was proven before).
    proves={E.ACCOUNT_WRITTEN: {Fact.PASSWORD, Fact.SECOND_FACTOR}, E.FACTOR_ADDED: {Fact.SECOND_FACTOR}},
    requires={
        S.CHECK_YOUR_EMAIL: _create("email"),
        S.CREATE_PASSWORD: _create("email_verified"),
        S.GET_SECURITY_CODES: _create_or_setup("email_verified", "password_hash"),
        S.ENTER_PHONE_NUMBER: _create_or_setup("email_verified", "password_hash"),
        S.CHECK_YOUR_PHONE: _create_or_setup("email_verified", "password_hash", "phone", setup_keys=("phone",)),
        S.SETUP_AUTH_APP: _create_or_setup("email_verified", "password_hash"),
        S.CREATE_PASSKEY: _create_or_setup("email_verified", "password_hash"),
        S.ACCOUNT_CREATED: both_factors,
    },
)
