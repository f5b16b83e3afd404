"""CPU per store command on the worker's Redis connection (store/resp.py), the worker's and
Redis's own, with 1, 8 and 64 callers at once.

    .venv/bin/python -m bench.probes.redis_pipe                         # 1, 8, 64 callers, 5 rounds
    .venv/bin/python -m bench.probes.redis_pipe --callers 64 --commands 40000 --json

Each caller makes GETs one after another, as a request's handler does; at load many handlers'
commands are made in the same pass of the event loop, and the connection writes each pass's
commands together. The figures: this process's CPU per GET (`time.process_time`), Redis's
(`INFO cpu`, user + sys, read before and after each round), and how many commands shared a
write (the connection's transport is counted). Medians over rounds. Redis on this machine is
shared with whatever else runs: quote ratios taken in the same run, not absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from bench.output import emit

URL = "redis://127.0.0.1:6379/14"
KEY = "bench-redis-pipe"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


class CountingTransport:
    """The connection's transport, counting writes (each one `send` system call)."""

    def __init__(self, transport):
        self.transport, self.writes = transport, 0

    def write(self, data):
        self.writes += 1
        self.transport.write(data)

    def __getattr__(self, name):
        return getattr(self.transport, name)


async def redis_cpu_s(pipe) -> float:
    info = await pipe.call("INFO", "cpu")
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return float(fields["used_cpu_user"]) + float(fields["used_cpu_sys"])


async def measure(callers: int, commands: int, rounds: int) -> dict:
    from govsignin.store.resp import RedisPipe

    pipe, info_pipe = RedisPipe(URL), RedisPipe(URL)  # INFO on its own connection, outside the count
    try:
        await pipe.call("SET", KEY, "x" * 200, "EX", "600")  # about the size of a journey's state
        await info_pipe.call("PING")
        counting = pipe._connection.transport = CountingTransport(pipe._connection.transport)
        each = max(1, commands // callers)

        async def caller():
            for _ in range(each):
                await pipe.call("GET", KEY)

        await asyncio.gather(*(caller() for _ in range(callers)))  # warm
        rounds_out = []
        for _ in range(rounds):
            writes_before = counting.writes
            redis_before, cpu_before = await redis_cpu_s(info_pipe), time.process_time()
            await asyncio.gather(*(caller() for _ in range(callers)))
            cpu_after, redis_after = time.process_time(), await redis_cpu_s(info_pipe)
            made = each * callers
            rounds_out.append({
                "client_us": 1e6 * (cpu_after - cpu_before) / made,
                "redis_us": 1e6 * (redis_after - redis_before) / made,
                "commands_per_write": made / max(1, counting.writes - writes_before),
            })
    finally:
        await pipe.close()
        await info_pipe.close()
    return {
        "callers": callers, "commands_per_round": each * callers, "rounds": rounds_out,
        **{k: round(statistics.median(r[k] for r in rounds_out), 2) for k in ("client_us", "redis_us", "commands_per_write")},
    }


def table(result: dict) -> str:
    lines = ["callers  worker µs/GET  Redis µs/GET  commands per write"]
    for r in result["summary"]:
        lines.append(f"{r['callers']:>7}  {r['client_us']:>13.1f}  {r['redis_us']:>12.1f}  {r['commands_per_write']:>18.1f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.probes.redis_pipe", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--callers", type=int, nargs="+", default=[1, 8, 64], help="callers at once, each a run")
    parser.add_argument("--commands", type=int, default=20000, help="GETs per round, shared by the callers")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--output")
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        summary = [asyncio.run(measure(n, args.commands, args.rounds)) for n in args.callers]
    except ConnectionError as exc:
        log(f"needs Redis on 127.0.0.1:6379: {exc}")
        return 2
    for r in summary:
        log(f"{r['callers']} callers: worker {r['client_us']} µs/GET, Redis {r['redis_us']} µs/GET, "
            f"{r['commands_per_write']} commands a write")
    result = {"url": URL, "summary": summary, "elapsed_s": round(time.monotonic() - started, 1)}
    return emit(result, args, table, log)


if __name__ == "__main__":
    sys.exit(main())
