"""The `govsignin` command line (contracts.md). Every command takes --json and then prints one
JSON document on stdout; errors go to stderr with a non-zero exit and a sentence to act on.

One module per command group; this one assembles them in the order --help lists them.
"""

from __future__ import annotations

import sys

import typer

from govsignin.cli import accounts, audit, db, keys, outbox, serve, services
from govsignin.config import SettingsError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help="govsignin: one account for every public service.")
app.add_typer(db.db_app, name="db")
app.add_typer(services.services_app, name="services")
app.add_typer(accounts.accounts_app, name="accounts")
app.add_typer(keys.keys_app, name="keys")
app.command()(serve.serve)
app.command()(outbox.outbox)
app.add_typer(audit.audit_app, name="audit")

from govsignin.devissuers.cli import dev_issuers_app  # noqa: E402  (after the groups above: --help's order)

app.add_typer(dev_issuers_app, name="dev-issuers")

# The migration commands (accounts import, import-report, erase-legacy-hashes; services
# legacy-links); importing the module registers them on the groups above.
from govsignin.cli import migration as _migration_commands  # noqa: E402,F401


def main():
    try:
        app()
    except SettingsError as exc:  # a GOVSIGNIN_* value of the wrong type: say which, no traceback
        sys.stderr.write(f"Error: {exc}\n")
        sys.exit(2)

