"""Audit event tags, `source:subject:action` (Warehouse's pattern). Keep them alphabetical."""

from enum import StrEnum


class EventTag(StrEnum):
    AccountCreated = "account:account:created"
    AuthAppCodeFailure = "account:auth_app_code:failure"
    AuthAppCodeSuccess = "account:auth_app_code:success"
    CodeLockout = "account:code:lockout"
    LoginFailure = "account:login:failure"
    LoginSuccess = "account:login:success"
    LogoutSuccess = "account:logout:success"
    PasswordLockout = "account:password:lockout"
    AuthorizationCodeIssued = "oidc:authorization_code:issued"
    AuthorizationCodeReplayed = "oidc:authorization_code:replayed"
    BackchannelLogoutDelivered = "oidc:backchannel_logout:delivered"
    BackchannelLogoutFailed = "oidc:backchannel_logout:failed"
    KeysRotated = "oidc:keys:rotated"
    ServiceRegistered = "onboarding:service:registered"
    TokenIssued = "oidc:token:issued"
    # Recovery (journeys/pages/recovery.py, passkey_sign_in.py), alphabetical among themselves
    MfaChanged = "account:mfa:changed"
    MfaResetCancelled = "account:mfa_reset:cancelled"
    MfaResetRequested = "account:mfa_reset:requested"
    PasskeySignIn = "account:passkey:sign_in"
    PasskeySignInFailure = "account:passkey:sign_in_failure"
    PasswordReset = "account:password:reset"
    PasswordResetRequested = "account:password:reset_requested"
    RecoveryCodeFailure = "account:recovery_code:failure"
    RecoveryCodeUsed = "account:recovery_code:used"
