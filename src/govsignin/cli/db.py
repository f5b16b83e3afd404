"""`govsignin db …`: the database schema."""

from __future__ import annotations

import typer

from govsignin.cli.common import JsonOpt, emit, fail, run
from govsignin.config import get_settings

db_app = typer.Typer(no_args_is_help=True, help="The database schema.")


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False):
    """Create or migrate the schema to the latest revision."""
    from govsignin.db import migrate

    settings = get_settings()
    try:
        migrate.upgrade(settings)
    except Exception as exc:  # alembic/driver errors: say what to check
        fail(f"Migration failed: {exc}. Check GOVSIGNIN_DATABASE_URL.")
    run(lambda s: s.ensure_keys())
    emit(as_json, {"status": "ok", "database": _redacted_url(settings.database_url)})


def _redacted_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
