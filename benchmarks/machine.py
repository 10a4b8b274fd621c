"""The machine's facts, saved with every benchmark: numbers only compare on like machines."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path


def load() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (other work on the machine skews the timings)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def dive_path() -> str | None:
    """dive, from the venv's bin or the PATH."""
    return shutil.which("dive", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def machine(client=None) -> dict:
    """CPUs, memory, engine (when `client` is given), versions, load."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    version, info = (client.version(), client.info()) if client else ({}, {})
    dive = dive_path()
    dive_version = subprocess.run([dive, "--version"], capture_output=True, text=True).stdout.strip() if dive else None
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu,
        "memory": mem,
        "load_average": load(),
        "engine_version": version.get("Version"),
        "engine_api": version.get("ApiVersion"),
        "storage_driver": info.get("Driver"),
        "python": platform.python_version(),
        "dive": dive_version,
        "dive_path": dive,
        "docker_cli": shutil.which("docker"),
    }
