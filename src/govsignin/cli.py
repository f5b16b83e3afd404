"""The `govsignin` command line (contracts.md). Every command takes --json and then prints one
JSON document on stdout; errors go to stderr with a non-zero exit and a sentence to act on."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError
from rich.table import Table

from govsignin.config import InsecureSettings, SettingsError, check_production, get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help="govsignin: one account for every public service.")
db_app = typer.Typer(no_args_is_help=True, help="The database schema.")
services_app = typer.Typer(no_args_is_help=True, help="Relying parties (services).")
accounts_app = typer.Typer(no_args_is_help=True, help="Citizen accounts (operators and tests).")
keys_app = typer.Typer(no_args_is_help=True, help="Signing keys.")
app.add_typer(db_app, name="db")
app.add_typer(services_app, name="services")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")

err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


class CliError(Exception):
    pass


def _fail(message: str) -> None:
    sys.stderr.write(f"Error: {message}\n")  # unwrapped: scripts and people both read it
    raise typer.Exit(1)


def _emit(as_json: bool, data, human=None) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    elif human:
        human(data)
    else:
        Console().print_json(json.dumps(data, default=str))


def _run(coro_fn):
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
        _fail(str(exc))
    except InsecureSettings as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"The database could not be reached ({exc}). Check GOVSIGNIN_DATABASE_URL.")
    except DBAPIError as exc:
        text = str(exc.orig).lower()
        if "no such table" in text or "does not exist" in text:
            _fail("The database has no schema yet: run `govsignin db upgrade` first.")
        _fail(f"The database refused the operation ({type(exc.orig).__name__}). Check GOVSIGNIN_DATABASE_URL.")


# --- serve -----------------------------------------------------------------------------------


def _started_as_govsignin() -> bool:
    """True when this process is the plain `govsignin` command (console script or `python -m
    govsignin`), not the CLI run inside a wrapper (a profiler, `python -c`, a test runner)."""
    import os

    argv = getattr(sys, "orig_argv", [])
    return len(argv) > 1 and (argv[1:3] == ["-m", "govsignin"] or os.path.basename(argv[1]) == "govsignin")


def _prepare(settings) -> None:
    """Before serving: migrate the schema (not in production, where `govsignin db upgrade` is a
    release step) and make sure signing keys exist."""
    if settings.env != "production":
        from govsignin.db import migrate

        migrate.upgrade(settings)
    _run(lambda s: s.ensure_keys())


def _in_child(fn) -> None:
    """Run fn in a short-lived forked process and exit with its status if it fails.

    `serve` prepares the database this way so the process that goes on to serve (with one
    worker, the worker itself) never imports Alembic and the whole application, nor keeps what a
    migration allocates: about 30 MiB of resident memory per server (docs/performance.md,
    "Memory per worker")."""
    import os

    if not hasattr(os, "fork"):  # not POSIX: in this process
        fn()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fn()
            code = 0
        except typer.Exit as exc:
            code = exc.exit_code
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise typer.Exit(code if code > 0 else 1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(None, help="Port (default: GOVSIGNIN_PORT or 8000)."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
):
    """Serve the provider."""
    import os

    settings = get_settings()
    if port is not None and settings.port != port:
        os.environ["GOVSIGNIN_PORT"] = str(port)
        get_settings.cache_clear()
        settings = get_settings()
    try:
        check_production(settings)
    except InsecureSettings as exc:
        _fail(str(exc))
    if settings.keep_alive_seconds < 1:
        _fail("GOVSIGNIN_KEEP_ALIVE_SECONDS must be a whole number of seconds, at least 1 (default 75).")
    _in_child(lambda: _prepare(settings))
    err.print(f"govsignin serving {settings.issuer_url()} on {host}:{settings.port} ({workers} worker(s))")
    from govsignin import serving

    if _started_as_govsignin() and hasattr(os, "execve"):
        serving.exec_serve(host, settings.port, workers, settings.keep_alive_seconds)  # same pid; no return
    serving.serve(host, settings.port, workers, settings.keep_alive_seconds)  # in a wrapper (a profiler): here


# --- db --------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False):
    """Create or migrate the schema to the latest revision."""
    from govsignin.db import migrate

    settings = get_settings()
    try:
        migrate.upgrade(settings)
    except Exception as exc:  # alembic/driver errors: say what to check
        _fail(f"Migration failed: {exc}. Check GOVSIGNIN_DATABASE_URL.")
    _run(lambda s: s.ensure_keys())
    _emit(as_json, {"status": "ok", "database": _redacted_url(settings.database_url)})


def _redacted_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# --- services --------------------------------------------------------------------------------


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
        _fail(f"Cannot read public key file: {exc}")
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

    result = _run(go)
    _emit(as_json, result)


@services_app.command("list")
def services_list(as_json: JsonOpt = False):
    """The registered services."""
    from govsignin.onboarding.registration import list_services

    rows = _run(list_services)

    def table(rows):
        t = Table("client_id", "name", "auth", "redirect URIs")
        for r in rows:
            t.add_row(r["client_id"], r["name"], r["token_auth_method"], "\n".join(r["redirect_uris"]))
        Console().print(t)

    _emit(as_json, rows, table)


# --- accounts --------------------------------------------------------------------------------


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

    _emit(as_json, _run(go))


# --- outbox ----------------------------------------------------------------------------------


@app.command()
def outbox(
    to: Optional[str] = typer.Option(None, help="Only messages to this address or number."),
    last: bool = typer.Option(False, "--last", help="Only the newest message."),
    as_json: JsonOpt = False,
):
    """In development, the emails and text messages that would have been sent, newest last."""
    from govsignin.messaging.outbox import read_outbox

    rows = _run(lambda s: read_outbox(s, to, last))

    def show(rows):
        for r in rows:
            Console().print(f"[bold]{r['created_at']}[/bold] {r['channel']} to {r['to']} ({r['template']})\n  {r['body']}")

    _emit(as_json, rows if not last else (rows[0] if rows else None), show)


# --- keys ------------------------------------------------------------------------------------


@keys_app.command("rotate")
def keys_rotate(
    force: bool = typer.Option(False, "--force", help="Promote even if the next key was published recently."),
    identity: bool = typer.Option(False, "--identity", help="Rotate the core identity key (did.json), not the token keys."),
    as_json: JsonOpt = False,
):
    """Promote the published next key, retire the current one, and publish a new next key."""
    from govsignin.audit.tags import EventTag
    from govsignin.keys.service import KeyRotationTooSoon

    async def go(services):
        ring = services.identity.keys if identity else services.keys
        await ring.ensure_keys()
        try:
            report = await ring.rotate(force=force)
        except KeyRotationTooSoon as exc:
            raise CliError(str(exc)) from exc
        await services.audit.record(EventTag.KeysRotated, **report)
        return report

    _emit(as_json, _run(go))


@keys_app.command("list")
def keys_list(
    identity: bool = typer.Option(False, "--identity", help="The core identity keys (did.json), not the token keys."),
    as_json: JsonOpt = False,
):
    """Signing keys and their states (next, current, retiring)."""
    _emit(as_json, _run(lambda s: (s.identity.keys if identity else s.keys).list_keys()))


# --- audit -----------------------------------------------------------------------------------

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: check its hash chain, export it for a SIEM, checkpoint and expire it.")
app.add_typer(audit_app, name="audit")

from govsignin.devissuers.cli import dev_issuers_app  # noqa: E402  (its own module: cli.py stays small)

app.add_typer(dev_issuers_app, name="dev-issuers")

CHAIN_BROKEN_EXIT = 3  # distinct from 1 (could not run): the chain was read and is broken


@audit_app.command("verify")
def audit_verify(
    batch_size: int = typer.Option(2000, min=1, help="Events read per query."),
    as_json: JsonOpt = False,
):
    """Recompute the hash chain from the first event (or its checkpoint) to the head; exit 3 at the first break."""
    from govsignin.audit.service import ChainHeadMissing, verify_chain

    async def go(services):
        try:
            return await verify_chain(services.engine, batch_size=batch_size)
        except ChainHeadMissing as exc:
            raise CliError(str(exc)) from exc

    report = _run(go)

    def show(r):
        start = f" from the checkpoint at seq {r['from_checkpoint']['seq']}" if r["from_checkpoint"] else ""
        erased = f" ({r['erased']} erased)" if r["erased"] else ""
        Console().print(f"Audit chain intact: {r['events']} event(s){erased}{start}, head seq {r['head']['seq']} hash {r['head']['hash']}.")

    if report["ok"]:
        _emit(as_json, report, show)
        return
    if as_json:
        _emit(True, report)
    broken = report["broken"]
    sys.stderr.write(
        f"Error: the audit chain is broken at event id {broken['id']} (seq {broken['seq']}, {broken['reason']}): "
        f"{broken['message']}. Events before it verified; treat the trail from there as tampered.\n"
    )
    raise typer.Exit(CHAIN_BROKEN_EXIT)


@audit_app.command("export")
def audit_export(
    since: int = typer.Option(0, "--since", min=0, help="Only events after this seq (the last seq you received)."),
    since_time: Optional[str] = typer.Option(None, "--since-time", help="Only events recorded at or after this ISO 8601 time (UTC if no offset)."),
    batch_size: int = typer.Option(1000, min=1, help="Events read per query."),
    as_json: JsonOpt = False,
):
    """Stream events as NDJSON on stdout (one JSON object per line, in chain order), --json or not."""
    import datetime as dt

    from govsignin.audit.service import iter_events

    after_time = None
    if since_time is not None:
        try:
            after_time = dt.datetime.fromisoformat(since_time)
        except ValueError:
            _fail(f"--since-time {since_time!r} is not an ISO 8601 time (e.g. 2026-11-21T09:00:00Z).")
        if after_time.tzinfo is None:
            after_time = after_time.replace(tzinfo=dt.UTC)

    async def go(services):
        out = sys.stdout
        try:
            async for batch in iter_events(services.engine, since_seq=since, since_time=after_time, batch_size=batch_size):
                out.write("".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in batch))
                out.flush()
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())

    _run(go)


@audit_app.command("checkpoint")
def audit_checkpoint(as_json: JsonOpt = False):
    """Record a checkpoint (seq and hash) at the chain head; events up to it can later be expired."""
    from govsignin.audit.retention import RetentionRefused, record_checkpoint
    from govsignin.audit.service import ChainHeadMissing

    async def go(services):
        try:
            return await record_checkpoint(services.engine)
        except (ChainHeadMissing, RetentionRefused) as exc:
            raise CliError(str(exc)) from exc

    def show(r):
        said = "Checkpoint recorded" if r["new"] else "The head was already checkpointed"
        Console().print(f"{said}: seq {r['seq']} hash {r['hash']} ({r['created_at']}).")

    _emit(as_json, _run(go), show)


@audit_app.command("expire")
def audit_expire(
    older_than: Optional[str] = typer.Option(None, "--older-than", metavar="DAYS", help="Retention period in whole days (at least 1): expire events recorded before it."),
    as_json: JsonOpt = False,
):
    """Delete the oldest events up to a checkpoint, if all are older than the period (one transaction)."""
    from govsignin.audit.retention import RetentionRefused, expire
    from govsignin.audit.service import ChainHeadMissing

    days = _positive_days(older_than)

    async def go(services):
        try:
            return await expire(services.engine, older_than_days=days)
        except (ChainHeadMissing, RetentionRefused) as exc:
            raise CliError(str(exc)) from exc

    _emit(as_json, _run(go), lambda r: Console().print(r["message"]))


BAD_INPUT_EXIT = 2  # as click reports a bad option


def _positive_days(value: Optional[str]) -> int:
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


# The migration commands (accounts import, import-report, erase-legacy-hashes; services
# legacy-links) live with their domain; importing the module registers them on the groups above.
from govsignin.migration import commands as _migration_commands  # noqa: E402,F401


def main():
    try:
        app()
    except SettingsError as exc:  # a GOVSIGNIN_* value of the wrong type: say which, no traceback
        sys.stderr.write(f"Error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
