"""Recovery flows: choosing another second factor, recovery codes, SMS codes at sign-in,
resetting a forgotten password and a lost second factor.

Pages are in journeys/pages/recovery.py. Journey values used by guards live in `journey.data`
(set by `pages/recovery.prepare_for_user`): `methods` (["auth_app", "sms", "recovery_code"]),
`mfa_reset_ready` (a lost-factor waiting period has passed), `changing_mfa` (the citizen said
they cannot use their second factor).
"""

from __future__ import annotations

from enum import StrEnum

from govsignin.journeys.machine import State as SignIn
from govsignin.journeys.machine import extend, needs_second_factor


class State(StrEnum):
    SIGN_IN_PASSKEY = "sign-in-passkey"  # only journeys from before the passkey moved to enter-email
    MFA_CHOICE = "how-do-you-want-security-codes"
    ENTER_SMS_CODE = "enter-code"  # the page is flows/create_account.py's
    ENTER_RECOVERY_CODE = "enter-recovery-code"
    # Forgotten password
    RESET_REQUEST = "reset-password-request"
    RESET_CHECK_EMAIL = "reset-password-check-email"
    RESET_AUTH_APP = "reset-password-2fa-auth-app"
    RESET_SMS = "reset-password-2fa-sms"
    RESET_RECOVERY_CODE = "reset-password-recovery-code"
    RESET_PASSWORD = "reset-password"
    RESET_TOO_MANY = "reset-password-requested-too-many-times"
    RECOVERY_CODE_LOCKED = "security-code-invalid-recovery"  # 15 minutes
    # Lost second factor
    LOST_START = "cannot-use-security-codes"
    LOST_CHECK_EMAIL = "change-security-codes-check-email"
    LOST_REQUESTED = "change-security-codes-requested"
    CHANGE_CODES = "change-security-codes"
    CODES_CHANGED = "change-codes-confirmed"


class Event(StrEnum):
    PASSWORD_INSTEAD = "PASSWORD_INSTEAD"
    OTHER_METHOD = "OTHER_METHOD"
    AUTH_APP_CHOSEN = "AUTH_APP_CHOSEN"
    SMS_CHOSEN = "SMS_CHOSEN"
    RECOVERY_CODE_CHOSEN = "RECOVERY_CODE_CHOSEN"
    NO_ACCESS = "NO_ACCESS"
    FORGOTTEN_PASSWORD = "FORGOTTEN_PASSWORD"
    RESET_CODE_SENT = "RESET_CODE_SENT"
    RESET_REQUESTS_EXCEEDED = "RESET_REQUESTS_EXCEEDED"
    RESET_EMAIL_VERIFIED = "RESET_EMAIL_VERIFIED"
    RESET_MFA_VERIFIED = "RESET_MFA_VERIFIED"
    RECOVERY_LOCKED = "RECOVERY_LOCKED"
    PASSWORD_RESET = "PASSWORD_RESET"
    LOST_EMAIL_SENT = "LOST_EMAIL_SENT"
    LOST_EMAIL_VERIFIED = "LOST_EMAIL_VERIFIED"
    NEW_METHOD_SET = "NEW_METHOD_SET"
    CONTINUE = "CONTINUE"


def _has(kind: str):
    def guard(j) -> bool:
        return kind in j.data.get("methods", [])

    guard.__name__ = f"has_{kind}"
    return guard


def changing_mfa(j) -> bool:
    return bool(j.data.get("changing_mfa"))


S, E = State, Event
MFA_CODE_VERIFIED, CODE_LOCKED = "MFA_CODE_VERIFIED", "CODE_LOCKED"

extend(
    {
        # The passkey page that used to follow the email (for accounts with one). The offer is
        # on the email page now (machine.py, pages/passkey_sign_in.py); a journey a deploy left
        # here goes on to the password page, where the email leads today.
        S.SIGN_IN_PASSKEY: {E.PASSWORD_INSTEAD: [(None, SignIn.ENTER_PASSWORD)]},
        # The second factor: another method.
        SignIn.ENTER_AUTH_APP_CODE: {E.OTHER_METHOD: [(None, S.MFA_CHOICE)]},
        # /enter-code (sign-in by text message) is account creation's page (flows/create_account.py).
        S.ENTER_SMS_CODE: {E.OTHER_METHOD: [(None, S.MFA_CHOICE)]},
        S.MFA_CHOICE: {
            E.AUTH_APP_CHOSEN: [(None, SignIn.ENTER_AUTH_APP_CODE)],
            E.SMS_CHOSEN: [(None, S.ENTER_SMS_CODE)],
            E.RECOVERY_CODE_CHOSEN: [(None, S.ENTER_RECOVERY_CODE)],
            E.NO_ACCESS: [(None, S.LOST_START)],
        },
        S.ENTER_RECOVERY_CODE: {
            MFA_CODE_VERIFIED: [(changing_mfa, S.CHANGE_CODES), (None, SignIn.AUTH_CODE)],
            CODE_LOCKED: [(None, SignIn.SECURITY_CODE_LOCKED)],
            E.OTHER_METHOD: [(None, S.MFA_CHOICE)],
        },
        # Forgotten password.
        SignIn.ENTER_PASSWORD: {E.FORGOTTEN_PASSWORD: [(None, S.RESET_REQUEST)]},
        S.RESET_REQUEST: {
            E.RESET_CODE_SENT: [(None, S.RESET_CHECK_EMAIL)],
            E.RESET_REQUESTS_EXCEEDED: [(None, S.RESET_TOO_MANY)],
        },
        S.RESET_CHECK_EMAIL: {
            E.RESET_EMAIL_VERIFIED: [
                (_has("auth_app"), S.RESET_AUTH_APP),
                (_has("sms"), S.RESET_SMS),
                (_has("recovery_code"), S.RESET_RECOVERY_CODE),
                (None, S.RESET_PASSWORD),
            ],
            E.RECOVERY_LOCKED: [(None, S.RECOVERY_CODE_LOCKED)],
            E.RESET_REQUESTS_EXCEEDED: [(None, S.RESET_TOO_MANY)],
        },
        S.RESET_AUTH_APP: {
            E.RESET_MFA_VERIFIED: [(None, S.RESET_PASSWORD)],
            E.RECOVERY_CODE_CHOSEN: [(None, S.RESET_RECOVERY_CODE)],
            E.RECOVERY_LOCKED: [(None, S.RECOVERY_CODE_LOCKED)],
        },
        S.RESET_SMS: {
            E.RESET_MFA_VERIFIED: [(None, S.RESET_PASSWORD)],
            E.RECOVERY_CODE_CHOSEN: [(None, S.RESET_RECOVERY_CODE)],
            E.RECOVERY_LOCKED: [(None, S.RECOVERY_CODE_LOCKED)],
        },
        S.RESET_RECOVERY_CODE: {
            E.RESET_MFA_VERIFIED: [(None, S.RESET_PASSWORD)],
            E.RECOVERY_LOCKED: [(None, S.RECOVERY_CODE_LOCKED)],
        },
        S.RESET_PASSWORD: {E.PASSWORD_RESET: [(needs_second_factor, SignIn.SECOND_FACTOR_NEEDED), (None, SignIn.AUTH_CODE)]},
        S.RESET_TOO_MANY: {},
        S.RECOVERY_CODE_LOCKED: {},
        # Lost second factor.
        S.LOST_START: {
            E.RECOVERY_CODE_CHOSEN: [(None, S.ENTER_RECOVERY_CODE)],
            E.LOST_EMAIL_SENT: [(None, S.LOST_CHECK_EMAIL)],
        },
        S.LOST_CHECK_EMAIL: {
            E.LOST_EMAIL_VERIFIED: [(None, S.LOST_REQUESTED)],
            E.RECOVERY_LOCKED: [(None, S.RECOVERY_CODE_LOCKED)],
        },
        S.LOST_REQUESTED: {},
        S.CHANGE_CODES: {E.NEW_METHOD_SET: [(None, S.CODES_CHANGED)]},
        S.CODES_CHANGED: {E.CONTINUE: [(None, SignIn.AUTH_CODE)]},
    },
    revisitable={S.MFA_CHOICE, S.LOST_START},
)
