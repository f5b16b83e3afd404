"""`govsignin accounts add` (the migration commands add import, import-report and
erase-legacy-hashes to this group)."""

from __future__ import annotations

from typing import Optional

import typer

from govsignin.cli.common import CliError, JsonOpt, emit, run

accounts_app = typer.Typer(no_args_is_help=True, help="Citizen accounts (operators and tests).")


@accounts_app.command("add")
def accounts_add(
    email: str = typer.Option(...),
    password: str = typer.Option(...),
    phone: Optional[str] = typer.Option(None, help="Phone number; stored in E.164."),
    totp_secret: Optional[str] = typer.Option(None, help="Base32 secret: the second factor is that authenticator app."),
    as_json: JsonOpt = False,
):
    """Create a verified account."""
    from govsignin.accounts.admin import AccountInputError, add_account

    async def go(services):
        try:
            return await add_account(services, email, password, phone, totp_secret)
        except AccountInputError as exc:
            raise CliError(str(exc)) from exc

    emit(as_json, run(go))
