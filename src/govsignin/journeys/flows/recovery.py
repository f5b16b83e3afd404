"""Recovery flows: choosing another second factor, recovery codes, SMS codes at sign-in,
resetting a forgotten password and a lost second factor.

Pages are in journeys/pages/recovery.py. Journey values used by guards live in `journey.data`
(set by `pages/recovery.prepare_for_user`): `methods` (["auth_app", "sms", "passkey", "recovery_code"]:
a passkey is a second factor in a password reset like the others),
`mfa_reset_ready` (a lost-factor waiting period has passed), `changing_mfa` (the citizen said
they cannot use their second factor).
"""

from __future__ import annotations

from govsignin.journeys.machine import (
    both_factors,
    extend,
    may_change_codes,
    needs_factor_setup,
    needs_second_factor,
    password_verified,
    reauthenticating,
    reset_email_verified,
    reset_second_factor_done,
)
from govsignin.journeys.states import Event, Fact, State

SignIn = State  # one enum for every flow


def _has(kind: str):
    def guard(j) -> bool:
        return kind in j.data.get("methods", [])

    guard.__name__ = f"has_{kind}"
    return guard


def changing_mfa(j) -> bool:
    return bool(j.data.get("changing_mfa"))


S, E = State, Event
CODE_LOCKED = [(reauthenticating, S.LOGIN_REQUIRED), (None, S.SECURITY_CODE_LOCKED)]

extend(
    {
        # The second factor: another method.
        S.ENTER_AUTH_APP_CODE: {E.OTHER_METHOD: [(None, S.MFA_CHOICE)]},
        S.ENTER_SMS_CODE: {E.OTHER_METHOD: [(None, S.MFA_CHOICE)]},
        S.MFA_CHOICE: {
            E.AUTH_APP_CHOSEN: [(None, S.ENTER_AUTH_APP_CODE)],
            E.SMS_CHOSEN: [(None, S.ENTER_SMS_CODE)],
            E.RECOVERY_CODE_CHOSEN: [(None, S.ENTER_RECOVERY_CODE)],
            E.NO_ACCESS: [(None, S.LOST_START)],
        },
        S.ENTER_RECOVERY_CODE: {
            E.MFA_CODE_VERIFIED: [(changing_mfa, S.CHANGE_CODES), (None, S.AUTH_CODE)],
            E.CODE_LOCKED: CODE_LOCKED,
            E.OTHER_METHOD: [(None, S.MFA_CHOICE)],
        },
        # Forgotten password.
        S.ENTER_PASSWORD: {E.FORGOTTEN_PASSWORD: [(None, S.RESET_REQUEST)]},
        # A password block (the page links to the reset, which lifts it) and a code block (the
        # page links to the lost-factor route, whose new second factor lifts it; that route needs
        # the password, so a reset journey stays on the page).
        S.ACCOUNT_LOCKED: {E.FORGOTTEN_PASSWORD: [(None, S.RESET_REQUEST)]},
        S.SECURITY_CODE_LOCKED: {E.NO_ACCESS: [(password_verified, S.LOST_START), (None, S.SECURITY_CODE_LOCKED)]},
        S.RESET_REQUEST: {
            E.RESET_CODE_SENT: [(None, S.RESET_CHECK_EMAIL)],
            E.RESET_REQUESTS_EXCEEDED: [(None, S.RESET_TOO_MANY)],
        },
        S.RESET_CHECK_EMAIL: {
            E.RESET_EMAIL_VERIFIED: [
                (_has("auth_app"), S.RESET_AUTH_APP),
                (_has("sms"), S.RESET_SMS),
                (_has("passkey"), S.RESET_PASSKEY),
                (_has("recovery_code"), S.RESET_RECOVERY_CODE),
                (None, S.RESET_PASSWORD),
            ],
            E.RECOVERY_LOCKED: [(None, S.RECOVERY_CODE_LOCKED)],
            E.RESET_REQUESTS_EXCEEDED: [(None, S.RESET_TOO_MANY)],
        },
        S.RESET_AUTH_APP: {
            E.RESET_MFA_VERIFIED: [(None, S.RESET_PASSWORD)],
            E.RECOVERY_CODE_CHOSEN: [(None, S.RESET_RECOVERY_CODE)],
            E.CODE_LOCKED: CODE_LOCKED,  # the account's shared code block (2 hours)
        },
        S.RESET_SMS: {
            E.RESET_MFA_VERIFIED: [(None, S.RESET_PASSWORD)],
            E.RECOVERY_CODE_CHOSEN: [(None, S.RESET_RECOVERY_CODE)],
            E.CODE_LOCKED: CODE_LOCKED,  # the account's shared code block (2 hours)
        },
        S.RESET_PASSKEY: {
            E.RESET_MFA_VERIFIED: [(None, S.RESET_PASSWORD)],
            E.RECOVERY_CODE_CHOSEN: [(None, S.RESET_RECOVERY_CODE)],
            E.RECOVERY_LOCKED: [(None, S.RECOVERY_CODE_LOCKED)],
        },
        S.RESET_RECOVERY_CODE: {
            E.RESET_MFA_VERIFIED: [(None, S.RESET_PASSWORD)],
            E.CODE_LOCKED: CODE_LOCKED,  # the account's shared code block (2 hours)
        },
        S.RESET_PASSWORD: {E.PASSWORD_RESET: [(needs_factor_setup, S.GET_SECURITY_CODES),
                                              (needs_second_factor, S.SECOND_FACTOR_NEEDED), (None, S.AUTH_CODE)]},
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
        S.CODES_CHANGED: {E.CONTINUE: [(None, S.AUTH_CODE)]},
    },
    revisitable={S.MFA_CHOICE, S.LOST_START},
    proves={
        E.RESET_EMAIL_VERIFIED: {Fact.RESET_EMAIL},
        E.RESET_MFA_VERIFIED: {Fact.SECOND_FACTOR},
        E.PASSWORD_RESET: {Fact.PASSWORD},
        E.NEW_METHOD_SET: {Fact.SECOND_FACTOR},  # a new authenticator app, confirmed by its code
    },
    requires={
        S.MFA_CHOICE: password_verified,
        S.ENTER_RECOVERY_CODE: password_verified,
        S.LOST_START: password_verified,
        S.LOST_CHECK_EMAIL: password_verified,
        S.LOST_REQUESTED: password_verified,
        S.RESET_REQUEST: lambda j: bool(j.email),
        S.RESET_CHECK_EMAIL: lambda j: bool(j.email),
        S.RESET_AUTH_APP: reset_email_verified,
        S.RESET_SMS: reset_email_verified,
        S.RESET_RECOVERY_CODE: reset_email_verified,
        S.RESET_PASSKEY: reset_email_verified,
        S.RESET_PASSWORD: reset_second_factor_done,
        S.CHANGE_CODES: may_change_codes,
        S.CODES_CHANGED: both_factors,
    },
    # Links that only move between pages (GETs: nothing is sent or checked).
    links={
        S.MFA_CHOICE: {S.ENTER_AUTH_APP_CODE: E.OTHER_METHOD, S.ENTER_SMS_CODE: E.OTHER_METHOD,
                       S.ENTER_RECOVERY_CODE: E.OTHER_METHOD},
        S.ENTER_RECOVERY_CODE: {S.LOST_START: E.RECOVERY_CODE_CHOSEN},
        S.RESET_REQUEST: {S.ENTER_PASSWORD: E.FORGOTTEN_PASSWORD, S.ACCOUNT_LOCKED: E.FORGOTTEN_PASSWORD},
        S.RESET_RECOVERY_CODE: {S.RESET_AUTH_APP: E.RECOVERY_CODE_CHOSEN, S.RESET_SMS: E.RECOVERY_CODE_CHOSEN,
                                S.RESET_PASSKEY: E.RECOVERY_CODE_CHOSEN},
        S.LOST_START: {S.MFA_CHOICE: E.NO_ACCESS, S.SECURITY_CODE_LOCKED: E.NO_ACCESS},
    },
)
