"""Routes of the signed-in account pages (manage/).

First-party pages on the provider, sharing the sign-in journey's browser session (see
manage/common.py for why that, rather than a separate relying party as One Login's home is).
"""

from __future__ import annotations

from starlette.routing import Route

from govsignin.manage import activity, factors, home, leave, legacy_links, password, security
from govsignin.ratelimit import limit_account_posts

GET, BOTH = ["GET"], ["GET", "POST"]


def manage_routes() -> list:
    """Every page's POSTs count against the account pages' limits (ratelimit/)."""
    return [
        Route(r.path, limit_account_posts(r.endpoint), methods=list(r.methods or ()), name=r.name)
        if "POST" in (r.methods or ()) else r
        for r in _routes()
    ]


def _routes() -> list:
    return [
        Route("/account", home.home, methods=GET),
        Route("/account/enter-password", password.enter_password, methods=BOTH),
        Route("/account/security", security.security, methods=GET),
        Route("/account/change-email", security.change_email_page, methods=BOTH),
        Route("/account/check-your-email", security.check_your_email, methods=BOTH),
        Route("/account/change-password", security.change_password_page, methods=BOTH),
        Route("/account/change-phone-number", security.change_phone_page, methods=BOTH),
        Route("/account/check-your-phone", security.check_your_phone, methods=BOTH),
        Route("/account/change-authenticator-app", security.change_auth_app, methods=BOTH),
        Route("/account/cannot-change-security-codes", security.cannot_change_security_codes, methods=GET),
        Route("/account/recovery-codes", factors.recovery_codes, methods=BOTH),
        Route("/account/add-passkey", factors.add_passkey, methods=BOTH),
        Route("/account/remove-passkey", factors.remove_passkey, methods=BOTH),
        Route("/account/switch-methods", security.switch_methods, methods=BOTH),
        Route("/account/remove-backup-method", factors.remove_backup_method, methods=BOTH),
        Route("/account/activity-history", activity.activity_history, methods=GET),
        Route("/account/activity-history/report-activity", activity.report_activity, methods=BOTH),
        Route("/account/remove-old-account", legacy_links.remove_old_account, methods=["POST"]),
        Route("/account/global-logout", leave.global_logout, methods=BOTH),
        Route("/account/delete-account", leave.delete_account_page, methods=BOTH),
    ]
