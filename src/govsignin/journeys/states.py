"""Every state and event of the journey, typed.

States are page paths (as in One Login's authentication-frontend), except `START`, where every
journey begins before the table names its first page. The flows (sign-in, account creation,
recovery) share these two enums, so a transition names its target by member, never by string.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    START = "start"  # not a page: the table's entry (machine.ENTRY) picks the first one
    # Sign-in
    SIGN_IN_OR_CREATE = "sign-in-or-create"
    ENTER_EMAIL = "enter-email"
    ENTER_PASSWORD = "enter-password"
    ENTER_AUTH_APP_CODE = "enter-authenticator-app-code"
    ENTER_SMS_CODE = "enter-code"
    SECOND_FACTOR_NEEDED = "second-factor-needed"
    CONFIRM_EMAIL = "check-your-email-sign-in"  # an imported account whose old system had not verified it
    ACCOUNT_LOCKED = "account-locked"
    SECURITY_CODE_LOCKED = "security-code-invalid"
    LOGIN_REQUIRED = "login-required"  # a failed reauthentication: back to the service, no page
    AUTH_CODE = "auth-code"  # hand back to the protocol (or to the account pages)
    LINK_ACCOUNT = "link-your-account"  # a service asked to link its old account: confirm it
    # Creating an account
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
    # Another second factor
    MFA_CHOICE = "how-do-you-want-security-codes"
    ENTER_RECOVERY_CODE = "enter-recovery-code"
    # Forgotten password
    RESET_REQUEST = "reset-password-request"
    RESET_CHECK_EMAIL = "reset-password-check-email"
    RESET_AUTH_APP = "reset-password-2fa-auth-app"
    RESET_SMS = "reset-password-2fa-sms"
    RESET_RECOVERY_CODE = "reset-password-recovery-code"
    RESET_PASSKEY = "reset-password-passkey"
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
    BEGIN = "BEGIN"  # START → the first page
    # Sign-in
    SIGN_IN_CHOSEN = "SIGN_IN_CHOSEN"
    EMAIL_ENTERED = "EMAIL_ENTERED"
    PASSKEY_VERIFIED = "PASSKEY_VERIFIED"  # a passkey offered on the email page: both factors
    EMAIL_BLOCKED = "EMAIL_BLOCKED"
    CREDENTIALS_VALIDATED = "CREDENTIALS_VALIDATED"
    PASSWORD_LOCKED = "PASSWORD_LOCKED"
    MFA_CODE_VERIFIED = "MFA_CODE_VERIFIED"
    CODE_LOCKED = "CODE_LOCKED"
    ACCOUNT_EMAIL_CONFIRMED = "ACCOUNT_EMAIL_CONFIRMED"  # a code sent to the account's address came back
    # Creating an account
    CREATE_CHOSEN = "CREATE_CHOSEN"
    EMAIL_CODE_SENT = "EMAIL_CODE_SENT"
    EMAIL_VERIFIED = "EMAIL_VERIFIED"
    PASSWORD_CREATED = "PASSWORD_CREATED"
    SMS_CHOSEN = "SMS_CHOSEN"
    AUTH_APP_CHOSEN = "AUTH_APP_CHOSEN"
    PASSKEY_CHOSEN = "PASSKEY_CHOSEN"
    PHONE_CODE_SENT = "PHONE_CODE_SENT"
    ACCOUNT_WRITTEN = "ACCOUNT_WRITTEN"
    FACTOR_ADDED = "FACTOR_ADDED"  # an existing account's first second factor, written
    CONTINUED = "CONTINUED"
    CODE_ENTRY_BLOCKED = "CODE_ENTRY_BLOCKED"
    CODE_REQUESTS_BLOCKED = "CODE_REQUESTS_BLOCKED"
    # Recovery
    OTHER_METHOD = "OTHER_METHOD"
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
    # Linking an old account
    LINK_CONFIRMED = "LINK_CONFIRMED"
    LINK_DECLINED = "LINK_DECLINED"


class Fact(StrEnum):
    """What an event proves about the account the journey is for (bound to that account)."""

    PASSWORD = "password"  # the password, or a passkey with user verification in its place
    SECOND_FACTOR = "second_factor"
    RESET_EMAIL = "reset_email"  # a code sent to the account's address came back (a reset)
    ACCOUNT_EMAIL = "account_email"  # the same at sign-in: the account's address is confirmed
    LINK_ANSWERED = "link_answered"  # the citizen said yes or no to linking the service's old account
