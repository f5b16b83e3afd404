"""The provider, proved by an independent relying party: govuk-onelogin-django (PyPI, 0.5.0).

A small Django site (tests/external/onelogin_django/site) runs the library exactly as its README
says, from its own venv (.venv-django, made by tests/external/onelogin_django/install.sh, since the
library pins its own authlib). It is registered here as an RS256 private_key_jwt service without
PKCE (the library sends none), signs a person in through the real sign-in pages in Chromium, and
then the person signs out at the provider. The library's own back-channel-logout view must accept
the provider's logout token and delete that person's Django session: the test sees it in the
session store and in the site's log, where the library reports every logout token it rejects
(it always answers 200, so the status says nothing).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import socket
import time
import uuid
from pathlib import Path

import httpx
import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.browser import new_context, sign_in

try:
    from tests.support.ports import free_port
except ImportError:  # pragma: no cover - the shared helper is the contract; this is a stand-in

    def free_port() -> int:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]


pytestmark = [pytest.mark.external, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "onelogin_django"
SITE = HERE / "site"
INSTALL = HERE / "install.sh"
DJANGO_PYTHON = Path(os.environ.get("GOVSIGNIN_DJANGO_VENV", ROOT / ".venv-django")) / "bin" / "python"

PASSWORD = "a-long-test-password-for-django-rp"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
STARTUP_SECONDS = 60
BACK_CHANNEL_SECONDS = 30


async def _cli(live_server, *args: str) -> dict:
    """``live_server.cli`` off the event loop (it runs a subprocess), or awaited if async."""
    if inspect.iscoroutinefunction(live_server.cli):
        return await live_server.cli(*args)
    return await asyncio.to_thread(live_server.cli, *args)


async def _run(*cmd: str | os.PathLike, env: dict | None = None, cwd: Path | None = None) -> str:
    proc = await asyncio.create_subprocess_exec(
        *map(str, cmd), env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{text}")
    return text


def _rsa_key(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = directory / "rp-private.pem"
    public = directory / "rp-public.pem"
    private.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ))
    return private, public


class DjangoSite:
    """The govuk-onelogin-django site, served by Django's development server in a subprocess."""

    def __init__(self, issuer: str, client_id: str, private_key: Path, port: int, data: Path,
                 provider_log: Path | None = None):
        self.provider_log = provider_log
        self.url = f"http://localhost:{port}"
        self.port = port
        self.data = data
        self.output = data / "django-server.log"
        self.log = data / "rp.log"
        self.env = {
            k: v for k, v in os.environ.items()
            if k not in {"DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
        } | {
            "RP_ISSUER": issuer,
            "RP_CLIENT_ID": client_id,
            "RP_PRIVATE_KEY_PATH": str(private_key),
            "RP_PORT": str(port),
            "RP_DATA_DIR": str(data),
            "RP_BACK_CHANNEL": "1",
            "PYTHONUNBUFFERED": "1",
            "DD_TRACE_ENABLED": "false",
        }
        self.proc: asyncio.subprocess.Process | None = None

    @staticmethod
    async def migrate(data: Path) -> None:
        """Creates the site's SQLite database (needs no provider settings, so it can run while
        the service is being registered)."""
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        await _run(DJANGO_PYTHON, "manage.py", "migrate", "--noinput",
                   env=env | {"RP_DATA_DIR": str(data), "DD_TRACE_ENABLED": "false"}, cwd=SITE)

    async def start(self) -> None:
        out = open(self.output, "wb")
        self.proc = await asyncio.create_subprocess_exec(
            str(DJANGO_PYTHON), "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload",
            env=self.env, cwd=SITE, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )
        out.close()
        deadline = time.monotonic() + STARTUP_SECONDS
        async with httpx.AsyncClient() as client:
            while True:
                if self.proc.returncode is not None:
                    raise AssertionError(f"the Django site exited at start:\n{self.diagnostics()}")
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/rp/state/")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the Django site did not answer:\n{self.diagnostics()}")
                await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    async def state(self) -> dict:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{self.port}/rp/state/")
            response.raise_for_status()
            return response.json()

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def back_channel_requests(self) -> list[dict]:
        marker = "back-channel logout received: "
        return [json.loads(line.split(marker, 1)[1]) for line in self.log_lines() if marker in line]

    def library_errors(self) -> list[str]:
        return [line for line in self.log_lines() if " ERROR govuk_onelogin_django" in line]

    def diagnostics(self) -> str:
        def tail(path: Path, n: int = 60) -> str:
            return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else "<none>"

        text = (f"--- Django site log ({self.log}):\n{tail(self.log)}\n"
                f"--- Django server output ({self.output}):\n{tail(self.output)}")
        if self.provider_log is not None:
            text += f"\n--- provider log ({self.provider_log}):\n{tail(self.provider_log, 40)}"
        return text


@pytest.fixture
async def django_site(live_server, tmp_path):
    """Registers the Django site with the provider, creates an account, serves the site."""
    await _run("bash", INSTALL)
    data = tmp_path / "django"
    data.mkdir()
    migrated = asyncio.create_task(DjangoSite.migrate(data))
    port = free_port()
    rp = f"http://localhost:{port}"
    private_key, public_key = _rsa_key(tmp_path)
    service = await _cli(
        live_server, "services", "add",
        "--name", "govuk-onelogin-django test site",
        "--redirect-uri", f"{rp}/one-login/callback/",
        "--post-logout-redirect-uri", f"{rp}/",
        "--public-key", str(public_key),
        "--scope", "openid", "--scope", "email",
        "--backchannel-logout-uri", f"{rp}/one-login/back-channel-logout/",
        "--no-require-pkce",
        "--id-token-alg", "RS256",
    )
    email = f"django-rp-{uuid.uuid4().hex[:12]}@example.com"
    totp_secret = pyotp.random_base32()
    await _cli(live_server, "accounts", "add", "--email", email, "--password", PASSWORD,
               "--totp-secret", totp_secret)

    provider_log = getattr(getattr(live_server, "log", None), "name", None)
    site = DjangoSite(live_server.url, service["client_id"], private_key, port, data,
                      Path(provider_log) if isinstance(provider_log, str) else None)
    site.email, site.totp_secret = email, totp_secret
    await migrated
    await site.start()
    try:
        yield site
    finally:
        await site.stop()


async def _expect_url(page, pattern: str, site: DjangoSite, what: str) -> None:
    try:
        await page.wait_for_url(re.compile(pattern))
    except Exception as exc:
        try:
            body = await page.locator("body").inner_text(timeout=2_000)
        except Exception:  # noqa: BLE001
            body = "<no page text>"
        raise AssertionError(
            f"{what}: expected {pattern}, browser is at {page.url} ({exc})\n"
            f"--- page:\n{body[:2000]}\n{site.diagnostics()}"
        ) from exc


async def _wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.25)


async def test_sign_in_then_back_channel_logout(browser, live_server, django_site):
    site = django_site
    async with new_context(browser) as context:
        page = await context.new_page()

        # A protected page sends the person to the site's start page, whose link starts the
        # library's authorization request (no PKCE, vtr ["Cl.Cm.P0"], nonce, state).
        await page.goto(f"{site.url}/account/")
        await _expect_url(page, re.escape(f"{site.url}/?next=/account/"), site, "protected page")
        await page.get_by_role("link", name="Sign in with GOV.UK One Login").click()
        await _expect_url(page, re.escape(live_server.url) + "/", site, "authorization request")

        await sign_in(page, site.email, PASSWORD, site.totp_secret)

        # The library exchanges the code (private_key_jwt, RS256), validates the RS256 ID token,
        # calls /userinfo and logs the person in, then returns to ?next.
        await _expect_url(page, re.escape(f"{site.url}/account/") + "$", site, "after sign-in")
        sub = (await page.locator("#sub").inner_text()).strip()
        assert sub, f"no sub on the protected page\n{site.diagnostics()}"
        assert (await page.locator("#email").inner_text()).strip() == site.email
        state = await site.state()
        mine = [s for s in state["sessions"] if s["sub"] == sub]
        assert mine and mine[0]["email"] == site.email, (state, site.diagnostics())
        # Registered with --id-token-alg RS256; the library checked it against the JWKS by kid.
        assert mine[0]["id_token_header"]["alg"] == "RS256", mine
        assert mine[0]["id_token_header"].get("kid"), mine

        # Sign out at the provider only: the site keeps its own session, so only the provider's
        # back-channel logout, through the library's view, can end it.
        await page.get_by_role("button", name="Sign out of GOV.UK One Login only").click()
        await _expect_url(page, re.escape(f"{site.url}/") + r"(\?.*)?$", site,
                          "post-logout redirect")

        async def session_gone():
            return all(s["sub"] != sub for s in (await site.state())["sessions"])

        gone = await _wait_for(session_gone, BACK_CHANNEL_SECONDS)
        received = site.back_channel_requests()
        assert received, (
            f"no back-channel logout reached {site.url}/one-login/back-channel-logout/ within "
            f"{BACK_CHANNEL_SECONDS}s\n{site.diagnostics()}"
        )
        assert not site.library_errors(), (
            "govuk-onelogin-django rejected the logout token:\n"
            + "\n".join(site.library_errors()) + f"\n{site.diagnostics()}"
        )
        assert gone, f"the Django session of {sub} survived the back-channel logout\n{site.diagnostics()}"

        token = received[-1]["token"]
        assert received[-1]["content_type"].startswith("application/x-www-form-urlencoded")
        assert token["header"].get("typ") == "logout+jwt", token
        assert token["claims"]["sub"] == sub, token
        assert token["claims"]["events"] == {LOGOUT_EVENT: {}}, token

        # The person is signed out of the site...
        await page.goto(f"{site.url}/account/")
        await _expect_url(page, re.escape(f"{site.url}/?next=/account/"), site,
                          "protected page after logout")
        assert "You are signed out" in await page.locator("#status").inner_text()

        # ...and of the provider: signing in again asks for the email address, not a code at once.
        await page.get_by_role("link", name="Sign in with GOV.UK One Login").click()
        await _expect_url(page, re.escape(live_server.url) + "/sign-in-or-create", site,
                          "sign-in after provider logout")


async def test_library_example_logout_ends_the_session_everywhere(browser, live_server, django_site):
    """The library's example logout (end the local session, then the provider's) in one browser
    also ends the person's session on the site in another browser, through back-channel logout."""
    site = django_site
    subs = []
    async with new_context(browser) as first, new_context(browser) as second:
        pages = [await first.new_page(), await second.new_page()]
        for n, page in enumerate(pages):
            if n:
                # Two sign-ins: wait for a fresh authenticator code, a provider may refuse a replay.
                await asyncio.sleep(30 - time.time() % 30 + 0.5)
            await page.goto(f"{site.url}/account/")
            await page.get_by_role("link", name="Sign in with GOV.UK One Login").click()
            await _expect_url(page, re.escape(live_server.url) + "/", site, "authorization request")
            await sign_in(page, site.email, PASSWORD, site.totp_secret)
            await _expect_url(page, re.escape(f"{site.url}/account/") + "$", site, "after sign-in")
            subs.append((await page.locator("#sub").inner_text()).strip())
        assert subs[0] == subs[1], subs
        sub = subs[0]
        assert [s["sub"] for s in (await site.state())["sessions"]].count(sub) == 2

        await pages[1].get_by_role("button", name="Sign out", exact=True).click()
        await _expect_url(pages[1], re.escape(f"{site.url}/") + r"(\?.*)?$", site,
                          "post-logout redirect")

        async def all_gone():
            return all(s["sub"] != sub for s in (await site.state())["sessions"])

        gone = await _wait_for(all_gone, BACK_CHANNEL_SECONDS)
        assert site.back_channel_requests(), f"no back-channel logout arrived\n{site.diagnostics()}"
        assert not site.library_errors(), "\n".join(site.library_errors()) + site.diagnostics()
        assert gone, f"the first browser's session survived\n{site.diagnostics()}"

        await pages[0].goto(f"{site.url}/account/")
        await _expect_url(pages[0], re.escape(f"{site.url}/?next=/account/"), site,
                          "first browser after logout")
