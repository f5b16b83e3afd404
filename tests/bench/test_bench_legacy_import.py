"""bench/legacy_import.py keeps working: a tiny run imports every generated row and reports the
figures docs/performance.md records (no timing thresholds: the machine is shared)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.live import ROOT


def test_the_legacy_import_benchmark_imports_every_row_and_reports_memory_and_sign_in_cost(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bench.legacy_import", "--rows", "3000", "--file", str(tmp_path / "rows.jsonl"),
         "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["summary"]["imported"] == 3000 and result["summary"]["rejected"] == 0
    assert result["peak_rss_mib"]["end"] > 0
    assert set(result["first_sign_in_ms"]) >= {"bcrypt (cost 10)", "md5_crypt", "argon2id (an account's later sign-ins)"}
