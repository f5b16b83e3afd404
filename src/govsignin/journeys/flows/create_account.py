"""Creating an account (One Login's create journey), and the text-message code at sign-in.

sign-in-or-create → enter-email-create → check-your-email → create-password → get-security-codes
  → enter-phone-number → check-your-phone ┐
  → setup-authenticator-app               ├→ account-created → auth-code
  → create-passkey                        ┘
Too many wrong codes → security-code-entered-too-many-times (15 minutes, the "registering" rule);
too many re-sends → security-code-requested-too-many-times (2 hours).

Sign-in by text message: enter-password → enter-code (machine.needs_sms_code) → auth-code.

Pages: journeys/pages/create_account.py. Values kept in journey.data: "create" (a dict: email
verified, password hash, phone, authenticator secret, passkey user handle).
"""

from __future__ import annotations

from enum import StrEnum

from govsignin.journeys.machine import TRANSITIONS, extend
from govsignin.journeys.machine import State as SignIn


class State(StrEnum):
    ENTER_EMAIL_CREATE = "enter-email-create"
    CHECK_YOUR_EMAIL = "check-your-email"
    CREATE_PASSWORD = "create-password"
    GET_SECURITY_CODES = "get-security-codes"
    ENTER_PHONE_NUMBER = "enter-phone-number"
    CHECK_YOUR_PHONE = "check-your-phone"
    SETUP_AUTH_APP = "setup-authenticator-app"
    CREATE_PASSKEY = "create-passkey"
    ACCOUNT_CREATED = "account-created"
    CODE_ENTERED_TOO_MANY = "security-code-entered-too-many-times"
    CODE_REQUESTED_TOO_MANY = "security-code-requested-too-many-times"
    ENTER_SMS_CODE = "enter-code"  # sign-in


class Event(StrEnum):
    CREATE_CHOSEN = "CREATE_CHOSEN"
    EMAIL_CODE_SENT = "EMAIL_CODE_SENT"
    EMAIL_VERIFIED = "EMAIL_VERIFIED"
    PASSWORD_CREATED = "PASSWORD_CREATED"
    SMS_CHOSEN = "SMS_CHOSEN"
    AUTH_APP_CHOSEN = "AUTH_APP_CHOSEN"
    PASSKEY_CHOSEN = "PASSKEY_CHOSEN"
    PHONE_CODE_SENT = "PHONE_CODE_SENT"
    ACCOUNT_WRITTEN = "ACCOUNT_WRITTEN"
    CONTINUED = "CONTINUED"
    CODE_ENTRY_BLOCKED = "CODE_ENTRY_BLOCKED"
    CODE_REQUESTS_BLOCKED = "CODE_REQUESTS_BLOCKED"
    # sign-in by text message (the recovery flow may define the first two as well)
    MFA_CODE_VERIFIED = "MFA_CODE_VERIFIED"
    CODE_LOCKED = "CODE_LOCKED"


S, E = State, Event
BLOCKS = {
    E.CODE_ENTRY_BLOCKED: [(None, S.CODE_ENTERED_TOO_MANY)],
    E.CODE_REQUESTS_BLOCKED: [(None, S.CODE_REQUESTED_TOO_MANY)],
}

extend(
    {
        SignIn.SIGN_IN_OR_CREATE: {E.CREATE_CHOSEN: [(None, S.ENTER_EMAIL_CREATE)]},
        S.ENTER_EMAIL_CREATE: {E.EMAIL_CODE_SENT: [(None, S.CHECK_YOUR_EMAIL)], **BLOCKS},
        S.CHECK_YOUR_EMAIL: {E.EMAIL_VERIFIED: [(None, S.CREATE_PASSWORD)], **BLOCKS},
        S.CREATE_PASSWORD: {E.PASSWORD_CREATED: [(None, S.GET_SECURITY_CODES)]},
        S.GET_SECURITY_CODES: {
            E.PASSKEY_CHOSEN: [(None, S.CREATE_PASSKEY)],
            E.SMS_CHOSEN: [(None, S.ENTER_PHONE_NUMBER)],
            E.AUTH_APP_CHOSEN: [(None, S.SETUP_AUTH_APP)],
        },
        S.ENTER_PHONE_NUMBER: {E.PHONE_CODE_SENT: [(None, S.CHECK_YOUR_PHONE)], **BLOCKS},
        S.CHECK_YOUR_PHONE: {E.ACCOUNT_WRITTEN: [(None, S.ACCOUNT_CREATED)], **BLOCKS},
        S.SETUP_AUTH_APP: {E.ACCOUNT_WRITTEN: [(None, S.ACCOUNT_CREATED)], **BLOCKS},
        S.CREATE_PASSKEY: {E.ACCOUNT_WRITTEN: [(None, S.ACCOUNT_CREATED)]},
        S.ACCOUNT_CREATED: {E.CONTINUED: [(None, SignIn.AUTH_CODE)]},
        S.CODE_ENTERED_TOO_MANY: {},
        S.CODE_REQUESTED_TOO_MANY: {},
    },
    # Back to change the email (a new code is then needed), the password, the choice or the number.
    revisitable={S.ENTER_EMAIL_CREATE, S.CREATE_PASSWORD, S.GET_SECURITY_CODES, S.ENTER_PHONE_NUMBER},
)

# /enter-code at sign-in. The recovery flow (flows/recovery.py) also routes to it and may define
# the same events; define only those not yet defined, so the import order does not matter.
_sms = {
    E.MFA_CODE_VERIFIED: [(None, SignIn.AUTH_CODE)],
    E.CODE_LOCKED: [(None, SignIn.SECURITY_CODE_LOCKED)],
    E.CODE_REQUESTS_BLOCKED: [(None, S.CODE_REQUESTED_TOO_MANY)],
}
_have = TRANSITIONS.get(S.ENTER_SMS_CODE.value, {})
extend({S.ENTER_SMS_CODE: {event: options for event, options in _sms.items() if event.value not in _have}})
