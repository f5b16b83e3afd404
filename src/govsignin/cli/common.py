"""What every command shares: --json output, errors as one sentence and an exit status, and
running one async operation against the configured database."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError

from govsignin.config import InsecureSettings, get_settings

err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


class CliError(Exception):
    pass


def fail(message: str) -> None:
    sys.stderr.write(f"Error: {message}\n")  # unwrapped: scripts and people both read it
    raise typer.Exit(1)


def emit(as_json: bool, data, human=None) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    elif human:
        human(data)
    else:
        Console().print_json(json.dumps(data, default=str))


def run(coro_fn):
    """Run one async operation against the configured database, with clear errors."""
    from govsignin.services import build_services

    async def main():
        services = build_services(get_settings(), with_templates=False)
        try:
            return await coro_fn(services)
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except CliError as exc:
        fail(str(exc))
    except InsecureSettings as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"The database could not be reached ({exc}). Check GOVSIGNIN_DATABASE_URL.")
    except DBAPIError as exc:
        text = str(exc.orig).lower()
        if "no such table" in text or "does not exist" in text:
            fail("The database has no schema yet: run `govsignin db upgrade` first.")
        fail(f"The database refused the operation ({type(exc.orig).__name__}). Check GOVSIGNIN_DATABASE_URL.")


BAD_INPUT_EXIT = 2  # as click reports a bad option


def positive_days(value: Optional[str]) -> int:
    """--older-than as a whole number of days >= 1, or a sentence and exit 2 (never a traceback)."""
    if value is None:
        sys.stderr.write("Error: --older-than DAYS is required (the retention period, e.g. --older-than 400).\n")
        raise typer.Exit(BAD_INPUT_EXIT)
    try:
        days = int(value.strip())
    except ValueError:
        days = None
    if days is None or days < 1 or days > 36500:
        sys.stderr.write(f"Error: --older-than {value!r} is not a whole number of days between 1 and 36500.\n")
        raise typer.Exit(BAD_INPUT_EXIT)
    return days
