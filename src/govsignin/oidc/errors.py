"""OAuth 2.0 / OIDC errors, named as the specs name them (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6).

An `OAuthError` raised before the client and redirect_uri are proven renders the HTML error page
(`FatalRequest`); after that it is returned to the service with error, error_description and state.
"""

from __future__ import annotations


class OAuthError(Exception):
    error = "server_error"
    status = 400

    def __init__(self, description: str | None = None):
        super().__init__(description or self.error)
        self.description = description


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"


class LoginRequired(OAuthError):
    error = "login_required"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


class UnmetAuthenticationRequirements(OAuthError):
    error = "unmet_authentication_requirements"


class TemporarilyUnavailable(OAuthError):
    error = "temporarily_unavailable"
    status = 503


class ServerError(OAuthError):
    error = "server_error"
    status = 500


class InvalidToken(OAuthError):
    """RFC 6750 §3.1, used by /userinfo."""

    error = "invalid_token"
    status = 401


class FatalRequest(Exception):
    """The request cannot be trusted to redirect: show the HTML error page (HTTP 400)."""

    def __init__(self, description: str, status: int = 400):
        super().__init__(description)
        self.description = description
        self.status = status
