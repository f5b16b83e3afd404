"""Every journey page's route. Each flow module adds its own list here."""

from __future__ import annotations

from starlette.routing import Route

from govsignin.journeys.pages import confirm_email, create_account, finish, legacy_link, passkey_sign_in, recovery, sign_in

GET, BOTH = ["GET"], ["GET", "POST"]


def sign_in_routes() -> list:
    return [
        Route("/sign-in-or-create", sign_in.sign_in_or_create, methods=BOTH),
        Route("/enter-email", sign_in.enter_email, methods=BOTH),
        Route("/enter-email/passkey-options", passkey_sign_in.passkey_options, methods=["POST"]),
        Route("/enter-password", sign_in.enter_password, methods=BOTH),
        Route("/enter-authenticator-app-code", sign_in.enter_auth_app_code, methods=BOTH),
        Route("/account-locked", sign_in.account_locked, methods=GET),
        Route("/security-code-invalid", sign_in.security_code_locked, methods=GET),
        Route("/second-factor-needed", sign_in.second_factor_needed, methods=GET),
        Route("/check-your-email-sign-in", confirm_email.check_your_email_sign_in, methods=BOTH),
        Route("/login-required", sign_in.login_required, methods=GET),
        Route("/link-your-account", legacy_link.link_your_account, methods=BOTH),
        Route("/auth-code", finish.auth_code, methods=GET),
    ]


def create_account_routes() -> list:
    c = create_account
    return [
        Route("/enter-email-create", c.enter_email_create, methods=BOTH),
        Route("/check-your-email", c.check_your_email, methods=BOTH),
        Route("/create-password", c.create_password, methods=BOTH),
        Route("/get-security-codes", c.get_security_codes, methods=BOTH),
        Route("/enter-phone-number", c.enter_phone_number, methods=BOTH),
        Route("/check-your-phone", c.check_your_phone, methods=BOTH),
        Route("/setup-authenticator-app", c.setup_authenticator_app, methods=BOTH),
        Route("/create-passkey", c.create_passkey, methods=BOTH),
        Route("/account-created", c.account_created, methods=BOTH),
        Route("/security-code-entered-too-many-times", c.code_entered_too_many, methods=GET),
        Route("/security-code-requested-too-many-times", c.code_requested_too_many, methods=GET),
        Route("/enter-code", c.enter_code, methods=BOTH),  # sign-in by text message
    ]


def recovery_routes() -> list:
    r = recovery
    return [
        Route("/how-do-you-want-security-codes", r.how_do_you_want_security_codes, methods=BOTH),
        Route("/enter-recovery-code", r.enter_recovery_code, methods=BOTH),
        Route("/reset-password-request", r.reset_password_request, methods=BOTH),
        Route("/reset-password-check-email", r.reset_password_check_email, methods=BOTH),
        Route("/reset-password-2fa-auth-app", r.reset_password_2fa_auth_app, methods=BOTH),
        Route("/reset-password-2fa-sms", r.reset_password_2fa_sms, methods=BOTH),
        Route("/reset-password-recovery-code", r.reset_password_recovery_code, methods=BOTH),
        Route("/reset-password-passkey", r.reset_password_passkey, methods=BOTH),
        Route("/reset-password", r.reset_password, methods=BOTH),
        Route("/reset-password-requested-too-many-times", r.reset_too_many, methods=GET),
        Route("/security-code-invalid-recovery", r.recovery_code_locked, methods=GET),
        Route("/cannot-use-security-codes", r.cannot_use_security_codes, methods=BOTH),
        Route("/change-security-codes-check-email", r.change_security_codes_check_email, methods=BOTH),
        Route("/change-security-codes-requested", r.change_security_codes_requested, methods=GET),
        Route("/change-security-codes", r.change_security_codes, methods=BOTH),
        Route("/change-codes-confirmed", r.change_codes_confirmed, methods=BOTH),
        Route("/cancel-security-code-change", r.cancel_security_code_change, methods=BOTH),
    ]


def journey_routes() -> list:
    return [*sign_in_routes(), *create_account_routes(), *recovery_routes()]
