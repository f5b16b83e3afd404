"""Audit event tags, `source:subject:action` (Warehouse's pattern). Keep them alphabetical."""

from enum import StrEnum


class EventTag(StrEnum):
    AccountCreated = "account:account:created"
    AccountDeleted = "account:account:deleted"
    ActivityReported = "account:activity:reported"
    AuthAppChanged = "account:auth_app:changed"
    AuthAppCodeFailure = "account:auth_app_code:failure"
    AuthAppCodeSuccess = "account:auth_app_code:success"
    BackupMethodAdded = "account:backup_method:added"
    BackupMethodRemoved = "account:backup_method:removed"
    CodeLockout = "account:code:lockout"
    DefaultMethodSwitched = "account:default_method:switched"
    EmailChanged = "account:email:changed"
    LoginFailure = "account:login:failure"
    LoginSuccess = "account:login:success"
    LogoutEverywhere = "account:logout:everywhere"
    LogoutSuccess = "account:logout:success"
    PasskeyAdded = "account:passkey:added"
    PasskeyRemoved = "account:passkey:removed"
    PasswordChanged = "account:password:changed"
    PasswordLockout = "account:password:lockout"
    PhoneChanged = "account:phone:changed"
    RecoveryCodesRegenerated = "account:recovery_codes:regenerated"
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
    # Messages (messaging/limits.py)
    SmsBudgetExceeded = "messaging:sms_budget:exceeded"
    # Moving off legacy systems (migration/)
    LegacyAccountsImported = "migration:accounts:imported"
    LegacyHashesErased = "migration:hashes:erased"
    LegacyEmailConfirmed = "account:email:confirmed"  # an imported address, proven at sign-in
    LegacyAccountLinked = "migration:link:added"  # "link your old account", confirmed by the citizen
    LegacyAccountUnlinked = "migration:link:removed"  # removed on the account pages
    # The trail itself (audit/retention.py)
    AuditEventsExpired = "audit:events:expired"
