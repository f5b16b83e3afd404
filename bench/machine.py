"""What a benchmark ran on, written into every result: the host, and the interpreter's build.

The interpreter is recorded because builds of one CPython version differ by a quarter on hot
Python code here: pyenv's default build (no PGO or LTO, a shared libpython) against Debian's
(PGO and LTO, libpython linked in), the kind the official Docker image the Dockerfile uses is.
docs/performance.md ("What is measured, and how") says which figures that moves.
"""

from __future__ import annotations

import os
import platform
import sys
import sysconfig


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "python_executable": os.path.realpath(sys.executable),
            "python_compiler": platform.python_compiler(),
            "libpython_shared": bool(sysconfig.get_config_var("Py_ENABLE_SHARED")),
            "kernel": platform.release(), "loadavg_at_start": os.getloadavg()}
