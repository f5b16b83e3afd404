"""``make run``: set up the demo (idempotently), then serve the provider and both services.

1. ``govsignin db upgrade``;
2. make each service's client key (``var/demo/<service>.pem``) and register the service with
   ``govsignin services add``, unless ``var/demo/clients.json`` names a client (for this
   database) that ``govsignin services list`` still knows, with the same key and URIs;
3. create the demo account (an "already exists" answer is fine);
4. serve the provider on :8000 and the services on :8001 and :8002 until Ctrl-C or SIGTERM,
   which is passed on to all three.

Options: ``--setup-only`` stops after step 3. The database is the provider's default
(``var/govsignin.db``) unless ``GOVSIGNIN_DATABASE_URL`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from demo.keys import ensure_key_pair, thumbprint
from demo.services import SERVICES, ServiceSpec
from demo.totp import DEMO_TOTP_SECRET

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "demo"
CLIENTS_FILE = VAR / "clients.json"
PROVIDER_PORT = 8000
DEMO_EMAIL = "demo@example.gov.uk"
DEMO_PASSWORD = "demo-account-2026"


class SetupError(RuntimeError):
    pass


def govsignin_command() -> str:
    """The CLI beside this Python (``.venv/bin/govsignin``), else whatever is on PATH."""
    beside = Path(sys.executable).parent / "govsignin"
    return str(beside) if beside.exists() else "govsignin"


def cli(env: dict[str, str], *args: str) -> Any:
    """Run ``govsignin <args> --json`` and return its JSON; SetupError with stderr on failure."""
    # --json goes straight after the command words (`services add --json --name ...`)
    split = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    words = args[:split]
    argv = [govsignin_command(), *args[:split], "--json", *args[split:]]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SetupError(
            f"`govsignin {' '.join(words)}` failed (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()}"
        )
    out = proc.stdout.strip()
    if not out:
        return {}
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        # tolerate log lines before the document: take the last line that parses
        for line in reversed(out.splitlines()):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
        raise SetupError(f"`govsignin {' '.join(words)}` printed no JSON: {out[:300]}") from None


def registered_client_ids(listing: Any) -> set[str]:
    """client_ids in a ``services list --json`` document (a list, or an object holding one)."""
    if isinstance(listing, dict):
        for key in ("services", "items", "data", "results"):
            if isinstance(listing.get(key), list):
                listing = listing[key]
                break
        else:
            listing = [listing] if "client_id" in listing else list(listing.values())
    return {
        str(item["client_id"]) for item in listing if isinstance(item, dict) and "client_id" in item
    }


def service_urls(base: str) -> dict[str, str]:
    """Where a service at `base` (``http://localhost:PORT``) is reached, as registered."""
    return {
        "base_url": base,
        "redirect_uri": f"{base}/callback",
        "post_logout_redirect_uri": f"{base}/signed-out",
        "backchannel_logout_uri": f"{base}/backchannel-logout",
    }


def registration_args(spec: ServiceSpec, public_key: Path, urls: dict[str, str]) -> list[str]:
    """The ``govsignin services add`` options for a demo service (shared with the tests)."""
    return [
        "--name", spec.name,
        "--redirect-uri", urls["redirect_uri"],
        "--post-logout-redirect-uri", urls["post_logout_redirect_uri"],
        "--backchannel-logout-uri", urls["backchannel_logout_uri"],
        "--public-key", str(public_key),
        "--scope", "openid", "--scope", "email",
        "--sector-identifier-uri", spec.sector_identifier_uri,
        "--require-pkce",
        "--id-token-alg", spec.id_token_alg,
    ]  # fmt: skip


def setup(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """Migrate, register both services and create the demo account. Returns the clients."""
    VAR.mkdir(parents=True, exist_ok=True)
    print("Setting up the database…", flush=True)
    cli(env, "db", "upgrade")

    # clients.json remembers registrations per database: {database: {service: {...}}}
    database = env.get("GOVSIGNIN_DATABASE_URL", "default")
    saved: dict[str, dict[str, dict[str, str]]] = {}
    if CLIENTS_FILE.exists():
        try:
            saved = json.loads(CLIENTS_FILE.read_text())
        except json.JSONDecodeError:
            saved = {}
    remembered = saved.setdefault(database, {})
    known = registered_client_ids(cli(env, "services", "list"))

    clients: dict[str, dict[str, str]] = {}
    for spec in SERVICES.values():
        key_path = VAR / f"{spec.slug}.pem"
        public_key = ensure_key_pair(key_path, spec.client_key_alg)
        urls = service_urls(f"http://localhost:{spec.port}")
        wanted = {
            "key_thumbprint": thumbprint(key_path, spec.client_key_alg),
            "redirect_uri": urls["redirect_uri"],
            "sector_identifier_uri": spec.sector_identifier_uri,
            "id_token_alg": spec.id_token_alg,
        }
        entry = remembered.get(spec.slug, {})
        if entry.get("client_id") in known and all(entry.get(k) == v for k, v in wanted.items()):
            print(f"  {spec.name}: already registered ({entry['client_id']})", flush=True)
        else:
            result = cli(env, "services", "add", *registration_args(spec, public_key, urls))
            entry = {"client_id": str(result["client_id"]), **wanted}
            print(f"  {spec.name}: registered ({entry['client_id']})", flush=True)
        clients[spec.slug] = {**entry, "key": str(key_path), **urls}
        remembered[spec.slug] = entry
        CLIENTS_FILE.write_text(json.dumps(saved, indent=2) + "\n")

    try:
        cli(
            env,
            "accounts", "add",
            "--email", DEMO_EMAIL,
            "--password", DEMO_PASSWORD,
            "--totp-secret", DEMO_TOTP_SECRET,
        )  # fmt: skip
        print(f"  demo account {DEMO_EMAIL}: created", flush=True)
    except SetupError as exc:
        if "exist" not in str(exc).lower() and "already" not in str(exc).lower():
            raise
        print(f"  demo account {DEMO_EMAIL}: already there", flush=True)
    return clients


def instructions(issuer: str) -> str:
    pension, fishing = SERVICES["pension"], SERVICES["fishing"]
    python = Path(sys.executable)
    try:
        python = python.relative_to(ROOT)
    except ValueError:
        pass
    return f"""
================================================================================
 govsignin demo is running
   provider                     {issuer}
   {pension.name:<28} http://localhost:{pension.port}   (asks for Cl.Cm: password + app code)
   {fishing.name:<28} http://localhost:{fishing.port}   (asks for Cl: password only)

 1. Open http://localhost:{pension.port} and press "Start now". Sign in as
      email      {DEMO_EMAIL}
      password   {DEMO_PASSWORD}
      code       run `{python} -m demo.totp` for the current authenticator-app code
                 (or add the secret {DEMO_TOTP_SECRET} to an authenticator app)
 2. Open http://localhost:{fishing.port} and press "Start now": you are signed in at once,
    with a different ID (pairwise `sub`): the two services are in different sectors.
 3. Sign out of one service: the provider tells the other over the back channel,
    and it signs you out too.

 Press Ctrl-C to stop.
================================================================================
""".rstrip()


def wait_for(url: str, procs: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise SetupError(f"`{' '.join(map(str, proc.args))}` exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers; that is all we wait for
        except OSError:
            time.sleep(0.3)
    raise SetupError(f"{url} did not answer within {timeout:.0f} s")


def stop(procs: list[subprocess.Popen[bytes]], sig: int = signal.SIGTERM) -> int:
    """Pass `sig` to every child, wait up to 10 s, then kill what is left. Returns the worst code."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(sig)
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return max((abs(proc.returncode or 0) for proc in procs), default=0)


def ports_in_use() -> list[int]:
    ports = [PROVIDER_PORT, *(spec.port for spec in SERVICES.values())]
    in_use = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                in_use.append(port)
    return in_use


def serve(env: dict[str, str], issuer: str, clients: dict[str, dict[str, str]]) -> int:
    busy = ports_in_use()
    if busy:
        print(
            f"\nThe demo needs ports {PROVIDER_PORT}-{PROVIDER_PORT + len(SERVICES)}, but something "
            f"already answers on {', '.join(map(str, busy))}. Is the demo already running?",
            file=sys.stderr,
        )
        return 1
    # Children get their own sessions, so a Ctrl-C reaches them once: from here.
    provider = subprocess.Popen(
        [govsignin_command(), "serve", "--port", str(PROVIDER_PORT)],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    procs = [provider]
    received: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        received.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for spec in SERVICES.values():
            client = clients[spec.slug]
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable, "-m", "demo.service", spec.slug,
                        "--issuer", issuer,
                        "--client-id", client["client_id"],
                        "--key", client["key"],
                        "--port", str(spec.port),
                    ],
                    cwd=ROOT, env=env, start_new_session=True,
                )  # fmt: skip
            )
        wait_for(issuer.rstrip("/") + "/.well-known/openid-configuration", procs)
        for spec in SERVICES.values():
            wait_for(f"http://localhost:{spec.port}/", procs)
        print(instructions(issuer), flush=True)
        while not received:
            for proc in procs:
                if proc.poll() is not None:
                    print(f"\n`{' '.join(map(str, proc.args))}` stopped (exit {proc.returncode}); "
                          "stopping the demo.", file=sys.stderr, flush=True)
                    stop(procs)
                    return 1
            time.sleep(0.5)
    except SetupError as exc:
        print(f"\nThe demo could not start: {exc}", file=sys.stderr, flush=True)
        stop(procs)
        return 1
    print("\nStopping the demo…", flush=True)
    stop(procs, signal.SIGTERM if received[0] == signal.SIGTERM else signal.SIGINT)
    return 0


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup-only", action="store_true", help="set up, then exit")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("GOVSIGNIN_ISSUER", f"http://localhost:{PROVIDER_PORT}")
    issuer = env["GOVSIGNIN_ISSUER"]
    # Until serve() takes over, SIGTERM stops setup the way Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        clients = setup(env)
    except SetupError as exc:
        print(f"\nThe demo could not be set up: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped while setting up.", file=sys.stderr)
        return 130
    if args.setup_only:
        print(f"Set up. Clients are in {CLIENTS_FILE.relative_to(ROOT)}.")
        return 0
    return serve(env, issuer, clients)


if __name__ == "__main__":
    sys.exit(main())
