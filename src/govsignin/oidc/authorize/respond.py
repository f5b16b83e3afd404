"""Issuing the authorization code once nothing more is needed from the citizen.

The code is random (256 bits), stored only as its SHA-256, single-use, and lives 300 s. It is
bound to the service, redirect_uri, PKCE challenge, nonce, credential level and auth_time.
"""

from __future__ import annotations

import secrets

from govsignin import records
from govsignin.accounts.service_uses import record_service_use
from govsignin.accounts.sessions import BrowserSession
from govsignin.crypto import new_token, token_hash
from govsignin.oidc.authorize.request import AuthorizationRequest
from govsignin.oidc.responses import redirect_to_client


async def issue_code(
    services, session: BrowserSession, auth: AuthorizationRequest, internal_sub: str, delete: tuple[str, ...] = ()
):
    """Store the code and the session (idle timeout restarted) in one write; `delete`: keys to
    remove in the same transaction (the session's old record at sign-in)."""
    code = new_token()
    record = {
        "client_id": auth.client_id,
        "redirect_uri": auth.redirect_uri,
        "user_id": session.user_id,
        "internal_sub": internal_sub,
        "nonce": auth.nonce,
        "scope": auth.scope,
        "claims": auth.claims,
        "id_token_claims": auth.id_token_claims,
        "vot": auth.credential_level,
        "auth_time": session.auth_time,
        # One Login's `sid` is the per-authorize journey id, not the browser session.
        "sid": secrets.token_urlsafe(16),
        "code_challenge": auth.code_challenge,
        # What the code and its tokens must not outlive: the account's session generation
        # ("sign out of all devices", deletion) and this browser session (sign-out).
        "gen": session.gen,
        "skey": session.key,
    }
    if auth.client_id not in session.clients:  # first code for this service in this session
        session.clients.append(auth.client_id)
        await record_service_use(services, session.user_id, auth.client_id)
    async with services.store.transaction() as tx:  # one trip on Redis, one commit on SQL
        await tx.set(f"code:{token_hash(code)}", records.dumps(record), services.settings.code_ttl)
        await services.sessions.write(tx, session)  # also restarts the idle timeout
        if delete:
            await tx.delete(*delete)
    return redirect_to_client(
        auth.redirect_uri, {"code": code, "state": auth.state}, auth.response_mode
    )
