"""`govsignin services …`: relying parties (the migration commands add `legacy-links`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from govsignin.cli.common import CliError, JsonOpt, emit, fail, run

services_app = typer.Typer(no_args_is_help=True, help="Relying parties (services).")


@services_app.command("add")
def services_add(
    name: str = typer.Option(..., help="The name citizens see."),
    redirect_uri: list[str] = typer.Option(..., help="Registered redirect URI (repeatable)."),
    post_logout_redirect_uri: list[str] = typer.Option([], help="Post-logout redirect URI (repeatable)."),
    public_key: list[Path] = typer.Option([], help="PEM public key file for private_key_jwt (repeatable)."),
    jwks_uri: Optional[str] = typer.Option(None, help="The service's JWKS URI for private_key_jwt."),
    secret: bool = typer.Option(False, "--secret", help="Use client_secret_post; the secret is printed once."),
    scope: list[str] = typer.Option(["openid", "email", "phone"], help="Allowed scope (repeatable)."),
    claim: list[str] = typer.Option([], help="Allowed claim URI (repeatable)."),
    backchannel_logout_uri: Optional[str] = typer.Option(None, help="Back-channel logout URI."),
    sector_identifier_uri: Optional[str] = typer.Option(None, help="https://host shared by services of one sector."),
    require_pkce: bool = typer.Option(False, "--require-pkce/--no-require-pkce", help="Enforce PKCE."),
    id_token_alg: str = typer.Option("ES256", help="ES256 or RS256."),
    permit_missing_nonce: bool = typer.Option(False, help="Allow authorize requests without nonce."),
    jar_required: bool = typer.Option(False, help="Require signed request objects."),
    client_id: Optional[str] = typer.Option(None, help="Choose the client_id (default: random)."),
    legacy_system: Optional[str] = typer.Option(None, help="The legacy system whose account ids this service owns (claim legacy_subject_id)."),
    as_json: JsonOpt = False,
):
    """Register a relying party; prints client_id (and client_secret with --secret, once)."""
    from govsignin.onboarding.registration import Registration, RegistrationError, register

    try:
        keys = [p.read_text() for p in public_key]
    except OSError as exc:
        fail(f"Cannot read public key file: {exc}")
    reg = Registration(
        name=name, redirect_uris=redirect_uri, post_logout_redirect_uris=post_logout_redirect_uri,
        public_keys_pem=keys, jwks_uri=jwks_uri, secret=secret, scopes=scope, claims=claim,
        backchannel_logout_uri=backchannel_logout_uri, sector_identifier_uri=sector_identifier_uri,
        require_pkce=require_pkce, id_token_alg=id_token_alg, permit_missing_nonce=permit_missing_nonce,
        jar_required=jar_required, client_id=client_id, legacy_system=legacy_system,
    )

    async def go(services):
        try:
            return await register(services, reg)
        except RegistrationError as exc:
            raise CliError(str(exc)) from exc

    result = run(go)
    emit(as_json, result)


@services_app.command("list")
def services_list(as_json: JsonOpt = False):
    """The registered services."""
    from govsignin.onboarding.registration import list_services

    rows = run(list_services)

    def table(rows):
        t = Table("client_id", "name", "auth", "redirect URIs")
        for r in rows:
            t.add_row(r["client_id"], r["name"], r["token_auth_method"], "\n".join(r["redirect_uris"]))
        Console().print(t)

    emit(as_json, rows, table)
