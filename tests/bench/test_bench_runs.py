"""The benchmark must keep working: run it once at its tiny size and check it measured something.

No timing thresholds: the machine is shared and noisy. The assertion is only that every
operation was exercised against a real server and cost the server some CPU.
"""

from __future__ import annotations

import json
import subprocess
import sys

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
        [sys.executable, "-m", "bench.overhead", "--rounds", "1", "--requests", "640", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    (only,) = result["rounds"]
    assert only["govsignin_us"] > 0 and only["bare_us"] > 0
    # the bare app replays govsignin's own response: security headers and request id included
    assert {"content-security-policy", "x-content-type-options", "x-request-id", "cache-control"} <= set(result["headers"])
    assert result["summary"]["ratio"] > 0
