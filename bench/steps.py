"""Where a sign-in's server CPU goes, request by request.

    .venv/bin/python -m bench.steps                       # SQLite store, 200 sign-ins
    .venv/bin/python -m bench.steps --redis               # the Redis store (production mode's)
    .venv/bin/python -m bench.steps --database postgresql --sign-ins 400

The same 12 requests as `bench.run`'s sign-in, but every browser takes step k together and the
server's CPU is read around each step, so each line is CPU per request of that one step. The sum
is comparable with `bench.run`'s sign-in; the argon2id verification (in-process, same parameters)
is the yardstick the production-mode issue sets (sign-in ≤ 1.3 × argon2id).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx

from bench import load
from bench.run import argon2_verify_seconds
from bench.server import Database, Server


class Steps:
    """Drives `browsers` through the sign-in one step at a time and records CPU ms per request."""

    def __init__(self, server: Server, rp: load.RelyingParty, citizens: list, concurrency: int):
        self.server, self.rp, self.citizens, self.concurrency = server, rp, citizens, concurrency
        self.browsers = [httpx.AsyncClient(base_url=server.url) for _ in citizens]
        self.csrf: dict[int, str] = {}
        self.codes: dict[int, str] = {}
        self.tokens: dict[int, str] = {}
        self.cpu_ms: dict[str, float] = {}

    async def step(self, name: str, one) -> None:
        jobs = [lambda b=b, c=c: one(b, c) for b, c in zip(self.browsers, self.citizens)]
        before = self.server.cpu_seconds()
        await load.bounded(jobs, self.concurrency)
        self.cpu_ms[name] = 1000 * (self.server.cpu_seconds() - before) / len(jobs)

    async def page(self, path: str, then: str, **fields) -> None:
        async def get(browser, _citizen):
            response = await browser.get(path)
            load._expect(response, 200)
            match = load.CSRF.search(response.text)
            if not match:
                raise load.BenchError(f"{path} has no CSRF token")
            self.csrf[id(browser)] = match.group(1)

        async def post(browser, citizen):
            data = {k: (v(citizen) if callable(v) else v) for k, v in fields.items()}
            response = await browser.post(path, data={"csrf_token": self.csrf[id(browser)], **data})
            load._expect(response, 303, then)

        await self.step(f"GET  {path}", get)
        await self.step(f"POST {path}", post)

    async def sign_in(self) -> dict[str, float]:
        rp = self.rp

        async def authorize(browser, _citizen):
            response = await browser.get("/authorize", params=rp.authorize_params())
            load._expect(response, 302, "/sign-in-or-create")

        async def auth_code(browser, _citizen):
            self.codes[id(browser)] = load._code_from(await browser.get("/auth-code"))

        async def token(browser, _citizen):
            response = await browser.post("/token", data=rp.token_form(self.codes[id(browser)], rp.assertion()))
            load._expect(response, 200)
            self.tokens[id(browser)] = response.json()["access_token"]

        async def userinfo(browser, _citizen):
            headers = {"Authorization": f"Bearer {self.tokens[id(browser)]}"}
            load._expect(await browser.get("/userinfo", headers=headers), 200)

        await self.step("GET  /authorize", authorize)
        await self.page("/sign-in-or-create", "/enter-email")
        await self.page("/enter-email", "/enter-password", email=lambda c: c.email)
        await self.page("/enter-password", "/enter-authenticator-app-code", password=load.PASSWORD)
        await self.page("/enter-authenticator-app-code", "/auth-code", code=lambda c: c.code())
        await self.step("GET  /auth-code", auth_code)
        await self.step("POST /token", token)
        await self.step("GET  /userinfo", userinfo)
        for browser in self.browsers:
            await browser.aclose()
        return self.cpu_ms


async def measure(server: Server, sign_ins: int, concurrency: int) -> dict[str, float]:
    rp, citizens = await load.prepare(server.settings(), sign_ins + 4)
    await Steps(server, rp, citizens[:4], concurrency).sign_in()  # warm-up: templates, keys, pools
    return await Steps(server, rp, citizens[4:], concurrency).sign_in()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.steps", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--redis", action="store_true", help="GOVSIGNIN_REDIS_URL=redis://127.0.0.1:6379/5")
    parser.add_argument("--sign-ins", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--argon2", type=int, default=20, help="argon2id verifications for the yardstick")
    args = parser.parse_args(argv)

    db = Database(args.database).create()
    server = None
    try:
        server = Server(db.url, redis_url="redis://127.0.0.1:6379/5" if args.redis else None).start()
        cpu_ms = asyncio.run(measure(server, args.sign_ins, args.concurrency))
        argon2_ms = 1000 * argon2_verify_seconds(server.settings(), args.argon2)
    finally:
        if server:
            server.stop()
        db.drop()
    total = sum(cpu_ms.values())
    store = "Redis" if args.redis else args.database
    print(f"server CPU per request, {args.sign_ins} sign-ins, store {store}:")
    for name, ms in cpu_ms.items():
        print(f"  {name:40s} {ms:7.2f} ms")
    print(f"  {'sign-in (12 requests)':40s} {total:7.2f} ms")
    print(f"  {'argon2id verify (in-process)':40s} {argon2_ms:7.2f} ms")
    print(f"  {'sign-in ÷ argon2id':40s} {total / argon2_ms:7.2f}   (target ≤ 1.3)")
    print(f"  {'sign-in − argon2id':40s} {total - argon2_ms:7.2f} ms (target ≤ {0.3 * argon2_ms:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
