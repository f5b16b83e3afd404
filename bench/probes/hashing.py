"""argon2id on this machine, alone and with every core hashing at once: the figure to size a
deployment by (docs/operations.md, "Capacity").

    .venv/bin/python -m bench.probes.hashing                   # alone, and as many at once as cores
    .venv/bin/python -m bench.probes.hashing --at-once 8 --slices 20 --json

At a nation's peak every core runs a hash, and the 19 MiB blocks share the caches: on the 2-vCPU
development host two at once cost 8-9 % more each than one alone, and the server's own hashes cost
what two at once cost (docs/performance.md, "The targets and the figures of record"). So size by the
"at once" figure. No server and no database: the parameters are the settings' (GOVSIGNIN_ARGON2_* in
the environment, else OWASP's), read as `govsignin serve` reads them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from bench.machine import machine
from bench.output import emit
from bench.yardstick import Yardstick

# A full sign-in ÷ one argon2id verification hashed as the server hashes at load: 1.22 (the median
# of 30 runs of `bench.steps --database postgresql --redis --concurrency 64`; docs/performance.md),
# rounded up to the target's 1.3.
SIGN_IN_OVER_HASH = 1.3
PEAK = 2000  # sign-ins per second (One Login's stress figure; the production-mode issue)
BUSY = 0.6  # cores at most 60 % busy at the peak (docs/operations.md)


def measure(at_once: int, slices: int, per_slice: int) -> dict:
    from govsignin.accounts.huge_pages import anon_huge_pages_kib
    from govsignin.config import Settings

    settings = Settings()
    alone = Yardstick(settings, per_slice)
    together = Yardstick(settings, per_slice, at_once) if at_once > 1 else alone
    # The same verification alone with its block on 4 KiB pages, slice for slice beside the one
    # on huge pages (accounts/huge_pages.py): what the huge pages save, paired against the drift.
    small = Yardstick(settings.model_copy(update={"argon2_huge_pages": False}), per_slice) \
        if settings.argon2_huge_pages else None
    try:
        for n in range(slices):  # alternately, so all see the same drift
            # huge and small pages in turn first: whichever goes second finds the first's caches
            for yardstick in ((alone, small) if n % 2 else (small, alone)):
                if yardstick is not None:
                    yardstick.take()
            if together is not alone:
                together.take()
        huge_kib = anon_huge_pages_kib()
    finally:
        for yardstick in (alone, together, small):
            if yardstick is not None:
                yardstick.close()
    pages = None
    if small is not None:
        paired = statistics.median(h / s for h, s in zip(alone.slices, small.slices))
        pages = {"small_pages_ms": round(small.ms, 3), "huge_over_small_paired": round(paired, 3),
                 # ~16 MiB for each thread on huge pages (alone's, together's): 0 if the kernel gave none
                 "process_huge_pages_kib": huge_kib}
    cores = PEAK * SIGN_IN_OVER_HASH * together.ms / 1000 / BUSY
    return {
        "parameters": {"memory_kib": settings.argon2_memory_kib, "time_cost": settings.argon2_time_cost,
                       "parallelism": settings.argon2_parallelism},
        "at_once": at_once,
        "alone_ms": round(alone.ms, 3),
        "alone_spread_ms": [round(x, 3) for x in alone.spread_ms],
        "at_once_ms": round(together.ms, 3),
        "at_once_spread_ms": [round(x, 3) for x in together.spread_ms],
        "contention": round(together.ms / alone.ms, 3),
        "cores_for_peak": round(cores, 1),
        "huge_pages": pages,
    }


def table(result: dict) -> str:
    p, n = result["parameters"], result["at_once"]
    slices = result["sizes"]["slices"]
    return "\n".join([
        f"argon2id (m={p['memory_kib']} KiB, t={p['time_cost']}, p={p['parallelism']}), "
        f"median of {slices} slices of {result['sizes']['per_slice']}:",
        f"  {'alone':22s} {result['alone_ms']:7.2f} ms",
        f"  {f'{n} at once':22s} {result['at_once_ms']:7.2f} ms  (× {result['contention']:.2f})",
        *([f"  {'alone, 4 KiB pages':22s} {result['huge_pages']['small_pages_ms']:7.2f} ms  "
           f"(huge ÷ small pages, paired slices: {result['huge_pages']['huge_over_small_paired']:.3f})"]
          if result["huge_pages"] else []),
        f"  cores for {PEAK:,} sign-ins/s at {BUSY:.0%} busy: {PEAK:,} × {SIGN_IN_OVER_HASH} × "
        f"{result['at_once_ms']:.2f} ms ÷ {BUSY} ≈ {result['cores_for_peak']:.0f}",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.probes.hashing", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--at-once", type=int, default=os.cpu_count() or 1,
                        help="verifications at the same moment (default: the cores)")
    parser.add_argument("--slices", type=int, default=10, help="slices of each, alternately")
    parser.add_argument("--per-slice", type=int, default=2, help="timed verifications a slice (after one untimed)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--output", help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    if args.at_once < 1 or args.slices < 1 or args.per_slice < 1:
        parser.error("--at-once, --slices and --per-slice must be at least 1")
    started, info = time.perf_counter(), machine()
    result = {"machine": info, **measure(args.at_once, args.slices, args.per_slice)}
    result["sizes"] = {"slices": args.slices, "per_slice": args.per_slice}
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    return emit(result, args, table, lambda message: print(f"bench: {message}", file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
