"""PostgreSQL restarted during traffic.

One instance on PostgreSQL with the database store (so sessions, journeys, codes and tokens are
down with the database too) serves bounded traffic — discovery, JWKS, authorize, the first page,
token, userinfo, readiness — from a background task while PostgreSQL is stopped for a few
seconds (two, stretched until a CLI command started during the outage has met it, at most ten)
and started again. Requests during the outage get the GOV.UK 503 page or JSON
`temporarily_unavailable`, with Retry-After, and never a 500 or a trace; the instance recovers by
itself; nothing is half-written: codes issued before the outage work once or are invalid_grant,
and an account created through the CLI during the outage exists fully or not at all.

This restarts the machine's shared PostgreSQL: the outage is kept short, PostgreSQL is started
again in a `finally`, and the test waits until it accepts connections before it ends. Deselect it
with `-m "not faults"`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from dataclasses import dataclass

import httpx
import pytest

from tests.faults.support import (
    Browser, Citizen, CliRP, assert_code_redirect, pg_cluster, pg_ctl, pg_running, wait_for_postgres,
)
from tests.support.live import GOVSIGNIN, ROOT, LiveServer
from tests.support.rp import post_page

pytestmark = pytest.mark.faults

OUTAGE_SECONDS = 2.0
CLI_WAIT = 8.0  # the longest the outage is stretched for the CLI check
JSON_PATHS = ("/token", "/userinfo", "/.well-known/", "/readyz", "/healthz")


@dataclass
class Seen:
    started: float
    at: float
    method: str
    path: str
    status: int | None  # None: no HTTP answer at all
    headers: dict
    body: str


class Traffic:
    """A few concurrent loops of mixed requests, each waiting a little between requests; bounded
    by a stop event and a total cap, so it cannot flood a machine other tests share."""

    def __init__(self, server: LiveServer, rp: CliRP, access_token: str, loops: int = 4, cap: int = 4000):
        self.server, self.rp, self.access_token = server, rp, access_token
        self.loops, self.cap = loops, cap
        self.seen: list[Seen] = []
        self.stop = asyncio.Event()

    async def _send(self, http: httpx.AsyncClient, method: str, path: str, **kw) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.seen.append(Seen(started, time.monotonic(), method, path, None, {}, repr(exc)))
            return None
        self.seen.append(Seen(started, time.monotonic(), method, path.split("?")[0], response.status_code,
                              dict(response.headers), response.text))
        return response

    async def _loop(self, n: int) -> None:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as shared:
            i = n
            while not self.stop.is_set() and len(self.seen) < self.cap:
                kind = i % 7
                i += 1
                if kind == 0:
                    await self._send(shared, "GET", "/.well-known/openid-configuration")
                elif kind == 1:
                    await self._send(shared, "GET", "/.well-known/jwks.json")
                elif kind == 2:  # a new browser: authorize, then its first page
                    async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as browser:
                        query, _ = self.rp.authorize_query()
                        response = await self._send(browser, "GET", query)
                        if response is not None and response.status_code == 302:
                            location = response.headers["location"]
                            if location.startswith("/"):
                                await self._send(browser, "GET", location)
                elif kind == 3:
                    await self._send(shared, "POST", "/token", data=self.rp.token_form("not-a-real-code"))
                elif kind == 4:
                    await self._send(shared, "GET", "/userinfo",
                                     headers={"Authorization": f"Bearer {self.access_token}"})
                elif kind == 5:
                    await self._send(shared, "GET", "/readyz")
                else:
                    await self._send(shared, "GET", "/healthz")
                await asyncio.sleep(0.02)

    PATHS = ("/.well-known/openid-configuration", "/.well-known/jwks.json", "/authorize",
             "/sign-in-or-create", "/token", "/userinfo", "/readyz", "/healthz")

    def recovered_since(self, t: float) -> bool:
        """Every kind of request has been answered since `t`, and none of them with a 503."""
        after = [s for s in self.seen if s.started >= t]
        return (all(any(s.path == p for s in after) for p in self.PATHS)
                and not any(s.status == 503 for s in after))

    async def run(self) -> None:
        await asyncio.gather(*(self._loop(n) for n in range(self.loops)))


async def sign_in(server: LiveServer, rp: CliRP, citizen: Citizen) -> tuple[Browser, str]:
    """A whole sign-in in a new browser; returns the browser (now with an SSO session) and a code."""
    browser = Browser()
    http = browser.at(server)
    query, params = rp.authorize_query()
    response = await http.get(query)
    assert response.headers.get("location") == "/sign-in-or-create", (response.status_code, response.text[:300])
    await post_page(http, "/sign-in-or-create")
    await post_page(http, "/enter-email", email=citizen.email)
    response = await post_page(http, "/enter-password", password=citizen.password)
    assert response.headers.get("location") == "/enter-authenticator-app-code", _page_summary(response)
    response = await post_page(http, "/enter-authenticator-app-code", code=citizen.code())
    assert response.headers.get("location") == "/auth-code", _page_summary(response)
    return browser, assert_code_redirect(await http.get("/auth-code"), rp, params)


def _page_summary(response) -> str:
    """Status and the page's error summary (or its start): what a failed step answered."""
    text = response.text
    start = text.find("govuk-error-summary")
    return f"{response.status_code}: " + (text[start:start + 600] if start >= 0 else text[:600])


async def sso_code(browser: Browser, server: LiveServer, rp: CliRP) -> str:
    query, params = rp.authorize_query()
    return assert_code_redirect(await browser.at(server).get(query), rp, params)


def check_unavailable(seen: Seen) -> None:
    """A 503 must be the contract's: Retry-After, and JSON or the GOV.UK page by path."""
    assert seen.headers.get("retry-after"), (seen.path, seen.headers)
    if seen.path.startswith(JSON_PATHS):
        assert seen.headers.get("content-type", "").startswith("application/json"), (seen.path, seen.body[:300])
        if seen.path in ("/token", "/userinfo"):
            assert '"temporarily_unavailable"' in seen.body, (seen.path, seen.body[:300])
    else:
        assert seen.headers.get("content-type", "").startswith("text/html"), (seen.path, seen.body[:300])
        assert "Sorry, the service is unavailable" in seen.body, (seen.path, seen.body[:300])


def start_cli(server: LiveServer, *args: str) -> subprocess.Popen:
    return subprocess.Popen([GOVSIGNIN, *args, "--json"], env=server.env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def cluster():
    found = pg_cluster()
    if found is None:
        pytest.skip("restarting PostgreSQL needs pg_ctlcluster and a local cluster on the test port")
    if os.geteuid() != 0:
        pytest.skip("restarting PostgreSQL needs root (pg_ctlcluster)")
    if not pg_running(found):
        pytest.skip("the local PostgreSQL cluster is not running")
    yield found
    # Whatever happened, leave PostgreSQL running and accepting connections for everyone else.
    if not pg_running(found):
        pg_ctl(found, "start", check=False)
    assert wait_for_postgres(120), "PostgreSQL did not come back after the fault test"


async def test_postgresql_restarted_during_traffic(cluster, pg_url, tmp_path):
    server = LiveServer(database_url=pg_url)
    server.start()
    browsers: list[Browser] = []
    try:
        rp = CliRP.register(server, tmp_path, issuer=server.url)
        citizen = Citizen.new()
        server.cli(*citizen.add_args())

        # Before the outage: a signed-in browser, a working access token, and three codes issued
        # but not yet redeemed.
        browser, code = await sign_in(server, rp, citizen)
        browsers.append(browser)
        http = browser.at(server)
        tokens = (await http.post("/token", data=rp.token_form(code))).json()
        pending = [await sso_code(browser, server, rp) for _ in range(3)]

        traffic = Traffic(server, rp, tokens["access_token"])
        traffic_task = asyncio.create_task(traffic.run())
        await asyncio.sleep(1.0)  # traffic flowing normally first

        # Accounts created through the CLI around the outage (the CLI takes a moment to start, so
        # they are staggered across it).
        made_during = [Citizen.new() for _ in range(3)]
        clis = []
        outage_started = time.monotonic()
        try:
            clis.append(start_cli(server, *made_during[0].add_args()))
            await asyncio.sleep(1.5)  # so that it is still starting when PostgreSQL stops
            await asyncio.to_thread(pg_ctl, cluster, "stop")
            clis.append(start_cli(server, *made_during[1].add_args()))
            during = await http.post("/token", data=rp.token_form(pending[0]))
            await asyncio.sleep(OUTAGE_SECONDS)
            clis.append(start_cli(server, *made_during[2].add_args()))
            # The CLI takes seconds to start: keep PostgreSQL down until the one started during the
            # outage has surely met it (at most CLI_WAIT more seconds), so the failure path runs.
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(clis[1].wait, CLI_WAIT)
            met_outage = clis[1].poll() is not None
        finally:
            if not pg_running(cluster):
                await asyncio.to_thread(pg_ctl, cluster, "start")
        outage_ended = time.monotonic()
        assert await asyncio.to_thread(wait_for_postgres, 60)

        # The instance recovers by itself: /readyz turns 200 without anyone touching it.
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as probe:
            while True:
                ready = await probe.get("/readyz")
                if ready.status_code == 200:
                    break
                assert time.monotonic() < deadline, f"/readyz still {ready.status_code}: {ready.text}"
                await asyncio.sleep(0.2)
        # Traffic flows normally again: every kind of request answered without a 503 since.
        recovered_at = time.monotonic()
        deadline = recovered_at + 60
        while not traffic.recovered_since(recovered_at) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        traffic.stop.set()
        await asyncio.wait_for(traffic_task, 60)
        assert server.process.poll() is None, "the server died during the outage"

        # Every answer during the whole run: never a 500, never a trace, 503s as the contract says.
        assert traffic.seen, "no traffic was sent"
        no_answer = [s for s in traffic.seen if s.status is None]
        assert not no_answer, f"requests without an HTTP answer: {no_answer[:3]}"
        for seen in traffic.seen:
            assert "Traceback" not in seen.body, (seen.path, seen.status, seen.body[:500])
            assert seen.status in (200, 302, 400, 401, 503), (seen.path, seen.status, seen.body[:500])
            if seen.status == 503:
                check_unavailable(seen)
        unavailable = [s for s in traffic.seen if s.status == 503]
        assert unavailable, "the outage produced no 503: did PostgreSQL really stop?"
        assert all(outage_started - 1 <= s.at <= outage_ended + 30 for s in unavailable), \
            "503s long after PostgreSQL came back"
        healthz = [s for s in traffic.seen if s.path == "/healthz"]
        assert healthz and all(s.status == 200 for s in healthz), "/healthz must not depend on the database"
        assert traffic.recovered_since(recovered_at), (
            "some requests still failed after /readyz said ready",
            [(round(s.at - recovered_at, 2), s.path, s.status, s.body[:200])
             for s in traffic.seen if s.started >= recovered_at and s.status == 503][-5:])

        # The token request during the outage: 503 temporarily_unavailable with Retry-After, or
        # (had it squeezed in) a success. Then every code issued before works once at most.
        assert during.status_code in (200, 503), during.text
        if during.status_code == 503:
            assert during.json()["error"] == "temporarily_unavailable"
            assert during.headers["retry-after"]
        successes = {pending[0]: int(during.status_code == 200)}
        for code in pending:
            for _attempt in range(2):
                response = await http.post("/token", data=rp.token_form(code))
                assert response.status_code in (200, 400), (response.status_code, response.text)
                if response.status_code == 400:
                    assert response.json()["error"] == "invalid_grant", response.text
                successes[code] = successes.get(code, 0) + int(response.status_code == 200)
        assert all(n <= 1 for n in successes.values()), successes
        # Codes nobody tried during the outage were committed before it: they must still work.
        assert successes[pending[1]] == 1 and successes[pending[2]] == 1, successes

        # Accounts made during the outage exist fully (sign in with password and app) or not at
        # all (the same email can be added now).
        for made, cli in zip(made_during, clis):
            out, err = await asyncio.to_thread(cli.communicate, timeout=120)
            if cli is clis[1] and met_outage:  # it ran entirely while PostgreSQL was down
                assert cli.returncode != 0, out
            assert "Traceback" not in err, err
            if cli.returncode != 0:
                assert "could not be reached" in err or "refused" in err, err
                try:
                    server.cli(*made.add_args())
                except Exception as exc:  # it was written after all: then wholly, as sign-in proves
                    assert "already exists" in str(exc), exc
            browser, code = await sign_in(server, rp, made)
            browsers.append(browser)
            response = await browser.at(server).post("/token", data=rp.token_form(code))
            assert response.status_code == 200, response.text

        print(f"\nfault summary: {len(traffic.seen)} requests, {len(unavailable)} answered 503; "
              f"token during the outage: {during.status_code}; "
              f"CLI account exits: {[c.returncode for c in clis]} (0 = created; non-zero = refused, then added again)")

        # A full sign-in and token exchange after recovery, and userinfo with the new token.
        fresh = Citizen.new()
        server.cli(*fresh.add_args())
        browser, code = await sign_in(server, rp, fresh)
        browsers.append(browser)
        response = await browser.at(server).post("/token", data=rp.token_form(code))
        assert response.status_code == 200, response.text
        info = await browser.at(server).get("/userinfo", headers={"Authorization": f"Bearer {response.json()['access_token']}"})
        assert info.status_code == 200 and info.json()["email"] == fresh.email

        log = (ROOT / "var" / f"live-{server.port}.log").read_text(errors="replace")
        assert "Exception in ASGI application" not in log, "an exception escaped the application"
    finally:
        for b in browsers:
            await b.close()
        server.stop()
