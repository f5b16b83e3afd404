"""Run Alembic migrations programmatically (`govsignin db upgrade`, and `serve` in development)."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config

from govsignin.config import Settings
from govsignin.db.engine import _ensure_sqlite_dir


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "govsignin:migrations")
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    if settings.database_url.startswith("sqlite"):
        _ensure_sqlite_dir(settings.database_url)
    command.upgrade(alembic_config(settings), revision)


def revision(settings: Settings, message: str) -> None:
    cfg = alembic_config(settings)
    cfg.set_main_option("version_path_separator", os.pathsep)
    command.revision(cfg, message=message, autogenerate=True, rev_id=_next_rev_id(cfg))


def _next_rev_id(cfg: Config) -> str:
    from alembic.script import ScriptDirectory

    heads = [r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()]
    numbers = [int(h) for h in heads if h.isdigit()]
    return f"{(max(numbers) + 1) if numbers else 1:04d}"
