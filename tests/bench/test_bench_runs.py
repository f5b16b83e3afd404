"""The benchmark must keep working: run it once at its tiny size and check it measured something.

No timing thresholds: the machine is shared and noisy. The assertion is only that every
operation was exercised against a real server and cost the server some CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.live import ROOT

OPERATIONS = ("sign_in", "token_exchange", "silent_sso", "discovery", "jwks")


def test_the_quick_benchmark_measures_server_cpu_for_every_operation():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)

    summary = result["summary"]
    for op in OPERATIONS:
        figure = summary["operations"][op]
        assert figure["ops_per_run"] > 0, op
        assert figure["cpu_ms_per_op"] > 0, (op, figure)
    assert summary["argon2_verify_ms"] > 0
    assert summary["ratios"]["sign_in_per_argon2_verify"] > 0
    assert result["runs"] and result["database"] == "sqlite"


def test_the_overhead_benchmark_measures_govsignin_and_a_bare_app_sending_the_same_bytes():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.probes.overhead", "--rounds", "1", "--requests", "640",
         "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    (only,) = result["rounds"]
    assert only["govsignin_us"] > 0 and only["bare_us"] > 0
    # the bare app replays govsignin's own response: security headers and request id included
    assert {"content-security-policy", "x-content-type-options", "x-request-id", "cache-control"} <= set(result["headers"])
    assert result["summary"]["ratio"] > 0


def test_the_hashing_benchmark_times_argon2id_alone_and_several_at_once():
    proc = subprocess.run(
        [sys.executable, "-m", "bench.probes.hashing", "--at-once", "3", "--slices", "2",
         "--per-slice", "1", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["parameters"] == {"memory_kib": 19456, "time_cost": 2, "parallelism": 1}  # OWASP's
    assert result["at_once"] == 3 and result["alone_ms"] > 0 and result["at_once_ms"] > 0
    assert result["contention"] == pytest.approx(result["at_once_ms"] / result["alone_ms"], rel=0.01)
    # The capacity arithmetic docs/operations.md gives: 2,000 × 1.3 × the at-once figure ÷ 0.6.
    assert result["cores_for_peak"] == pytest.approx(2000 * 1.3 * result["at_once_ms"] / 1000 / 0.6, abs=0.1)
    # Alone on 4 KiB pages too, slice for slice beside the huge pages the server's threads use.
    assert result["huge_pages"]["small_pages_ms"] > 0 and result["huge_pages"]["huge_over_small_paired"] > 0
    # The result says which interpreter ran it: builds of one CPython differ by a quarter here.
    ran_on = result["machine"]
    assert ran_on["python_executable"] == os.path.realpath(sys.executable)
    assert ran_on["python"] == ".".join(map(str, sys.version_info[:3])) and ran_on["cpus"] == os.cpu_count()
    assert isinstance(ran_on["libpython_shared"], bool)


def test_the_hashing_benchmark_refuses_nonsense_sizes():
    proc = subprocess.run([sys.executable, "-m", "bench.probes.hashing", "--at-once", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "at least 1" in proc.stderr
