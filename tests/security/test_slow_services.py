"""A slow or hostile service cannot stall others: back-channel logouts go out concurrently, each
within a deadline and a byte cap, a few at a time per service (oidc/backchannel.py); its JWKS
URI is fetched within the same bounds, once at a time, and not again soon after a failure
(onboarding/client_keys.py)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from govsignin.oidc.backchannel import deliver_due
from govsignin.oidc.models import BackchannelDelivery
from tests.ops.test_rate_limits import browser, instances
from tests.support.rp import TestRP

DEADLINE = 1.0


class Service:
    """A service's endpoint on localhost that behaves as told: "ok" (200 at once, or a JWKS),
    "silent" (reads the request, never answers), "trickle" (a header byte every 0.2 s),
    "endless" (200, then a body that never ends) or "error" (500)."""

    def __init__(self, behaviour: str, body: bytes = b"{}"):
        self.behaviour, self.body = behaviour, body
        # Counted for this service's own path only: a port freed by an earlier test's service may
        # be given to this one, and that test's retries would still arrive.
        self.path = f"/{uuid.uuid4().hex}"
        self.requests, self.open, self.most_open = 0, 0, 0
        self.lock, self.stop = threading.Lock(), threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                if not self.path.startswith(service.path):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with service.lock:
                    service.requests += 1
                    service.open += 1
                    service.most_open = max(service.most_open, service.open)
                try:
                    service.answer(self)
                except OSError:
                    pass  # the caller gave up and closed the connection
                finally:
                    with service.lock:
                        service.open -= 1

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, handler) -> None:
        if self.behaviour == "silent":
            self.stop.wait(30)
        elif self.behaviour == "trickle":
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
                if self.stop.wait(0.2):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
        elif self.behaviour == "endless":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            chunk = b" " * 65536
            deadline = time.monotonic() + 30
            while not self.stop.wait(0.005) and time.monotonic() < deadline:  # (the wait: leave the GIL)
                handler.wfile.write(chunk)
        else:
            handler.send_response(500 if self.behaviour == "error" else 200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(self.body)))
            handler.end_headers()
            handler.wfile.write(self.body)

    def uri(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}{path}"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def own_database(backend, tmp_path_factory):
    """A database of this module's own: the session's live server delivers every due logout in
    the shared one, and its deliveries would mix with the ones these tests count."""
    from govsignin.config import Settings
    from govsignin.db.migrate import upgrade
    from tests.support.databases import PostgresUnavailable, create_postgres_database, drop_postgres_database

    name = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('slow') / 'govsignin.db'}"
    else:
        try:
            name, url = create_postgres_database()
        except PostgresUnavailable as exc:
            pytest.skip(f"PostgreSQL tests skipped: {exc}")
    upgrade(Settings(env="test", database_url=url))
    yield url
    if name:
        drop_postgres_database(name)


@pytest.fixture
def alone(settings, own_database):
    return settings.model_copy(update={"database_url": own_database})


@pytest.fixture
def make_service():
    made = []

    def make(behaviour: str, body: bytes = b"{}") -> Service:
        made.append(Service(behaviour, body))
        return made[-1]

    yield make
    for service in made:
        service.close()


async def queue_logouts(services, rp, count: int) -> list[int]:
    rows = [BackchannelDelivery(client_id=rp.client_id, uri=rp.registration["backchannel_logout_uri"],
                                subject=f"sub-{uuid.uuid4().hex}") for _ in range(count)]
    async with services.sessionmaker() as db, db.begin():
        db.add_all(rows)
    return [row.id for row in rows]


async def rows(services, ids: list[int]) -> list[BackchannelDelivery]:
    async with services.sessionmaker() as db:
        return list((await db.execute(select(BackchannelDelivery).where(BackchannelDelivery.id.in_(ids)))).scalars())


@pytest.mark.parametrize("behaviour", ["silent", "trickle", "endless"])
async def test_a_slow_service_does_not_hold_up_another_services_logout(alone, make_service, behaviour):
    async with instances(alone, count=1, backchannel_timeout=DEADLINE, backchannel_per_service=4) as (
            settings, (services,), _):
        await services.keys.ensure_keys()
        slow, fast = make_service(behaviour), make_service("ok")
        slow_rp = await TestRP.create(services, backchannel_logout_uri=slow.uri("/logout"))
        fast_rp = await TestRP.create(services, backchannel_logout_uri=fast.uri("/logout"))
        slow_ids = await queue_logouts(services, slow_rp, 6)  # queued first
        fast_ids = await queue_logouts(services, fast_rp, 1)

        started = time.monotonic()
        await asyncio.wait_for(deliver_due(services, limit=50), 10)
        took = time.monotonic() - started
        assert took < DEADLINE + 2.5, took  # one deadline, not one per slow delivery
        assert fast.requests == 1
        assert all(row.delivered_at is not None for row in await rows(services, fast_ids))
        slow_rows = await rows(services, slow_ids)
        if behaviour != "endless":  # (endless answers finish at once, freeing their places)
            assert sum(row.attempts for row in slow_rows) == 4  # per service at once; two wait their turn
        for row in slow_rows:
            if row.attempts == 0:
                continue
            if behaviour == "endless":  # it answered 200: read up to the cap, then done
                assert row.delivered_at is not None, row.last_error
            else:
                assert row.delivered_at is None and row.last_error == f"no answer within {DEADLINE:g} s"


async def test_at_most_a_few_deliveries_go_to_one_service_at_once(alone, make_service):
    async with instances(alone, count=1, backchannel_timeout=DEADLINE, backchannel_per_service=2) as (
            settings, (services,), _):
        await services.keys.ensure_keys()
        slow, fast = make_service("silent"), make_service("ok")
        slow_rp = await TestRP.create(services, backchannel_logout_uri=slow.uri("/logout"))
        fast_rp = await TestRP.create(services, backchannel_logout_uri=fast.uri("/logout"))
        await queue_logouts(services, slow_rp, 6)
        fast_ids = await queue_logouts(services, fast_rp, 2)
        await asyncio.wait_for(deliver_due(services, limit=50), 10)
        for _ in range(50):  # the slow service's connections may still be arriving on a busy host
            if slow.requests >= 2:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)  # and no third one comes
        assert slow.most_open == 2 and slow.requests == 2  # the other four wait for a later pass
        assert fast.requests == 2
        assert all(row.delivered_at is not None for row in await rows(services, fast_ids))


def forged_forms(rp, code: str = "no-such-code") -> dict:
    """A token request whose assertion names a key the service's JWKS does not have."""
    from joserfc.jwk import ECKey

    forger = ECKey.generate_key("P-256", private=True)
    forger.ensure_kid()
    rp.key = forger
    return rp.token_form(code)


@pytest.mark.parametrize("behaviour", ["error", "silent", "trickle", "endless"])
async def test_forged_assertions_cost_at_most_one_jwks_fetch(alone, make_service, behaviour):
    async with instances(alone, count=1, ratelimit_enabled=False, jwks_timeout=DEADLINE) as (
            settings, (services,), (app,)):
        jwks = make_service(behaviour)
        rp = await TestRP.create(services, public_keys_pem=[], jwks_uri=jwks.uri("/jwks.json"))
        async with browser(app, settings, "192.0.2.20") as http:
            started = time.monotonic()
            responses = await asyncio.wait_for(
                asyncio.gather(*(http.post("/token", data=forged_forms(rp)) for _ in range(20))), 15)
            took = time.monotonic() - started
            # The service's keys could not be had: the answer /token gives for that, every time
            # (docs/onelogin-compatibility.md: 400 invalid_client, not One Login's 500).
            assert {(r.status_code, r.json()["error"]) for r in responses} == {(400, "invalid_client")}
            assert took < DEADLINE + 3, took
            for _ in range(5):  # and straight after: the failure is remembered
                assert (await http.post("/token", data=forged_forms(rp))).status_code == 400
        assert jwks.requests == 1


async def test_a_working_jwks_uri_still_signs_services_in(alone, make_service):
    import json

    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    async with instances(alone, count=1, ratelimit_enabled=False) as (settings, (services,), (app,)):
        jwks = make_service("ok", json.dumps({"keys": [key.as_dict(private=False)]}).encode())
        rp = await TestRP.create(services, public_keys_pem=[], jwks_uri=jwks.uri("/jwks.json"))
        rp.key = key
        async with browser(app, settings, "192.0.2.21") as http:
            responses = await asyncio.gather(*(http.post("/token", data=rp.token_form("no-such-code")) for _ in range(10)))
        # Authenticated (the code is what is wrong), with the keys fetched once for all ten.
        assert {r.json()["error"] for r in responses} == {"invalid_grant"}
        assert jwks.requests == 1
