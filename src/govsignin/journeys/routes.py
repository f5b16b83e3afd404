"""Every journey page's route. Each flow module adds its own list here."""

from __future__ import annotations

from starlette.routing import Route

from govsignin.journeys.pages import finish, sign_in

GET, BOTH = ["GET"], ["GET", "POST"]


def sign_in_routes() -> list:
    return [
        Route("/sign-in-or-create", sign_in.sign_in_or_create, methods=BOTH),
        Route("/enter-email", sign_in.enter_email, methods=BOTH),
        Route("/enter-password", sign_in.enter_password, methods=BOTH),
        Route("/enter-authenticator-app-code", sign_in.enter_auth_app_code, methods=BOTH),
        Route("/account-locked", sign_in.account_locked, methods=GET),
        Route("/security-code-invalid", sign_in.security_code_locked, methods=GET),
        Route("/second-factor-needed", sign_in.second_factor_needed, methods=GET),
        Route("/auth-code", finish.auth_code, methods=GET),
    ]


def journey_routes() -> list:
    return [*sign_in_routes()]
