"""hadolint, the Dockerfile linter, on the tutorial's Dockerfiles, when it is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .dockerfiles import DOCKERFILES, ROOT
from .errors import DockerlabError

__all__ = ["hadolint", "hadolint_path"]


def hadolint_path() -> str | None:
    """The hadolint executable (on PATH or beside this Python), or None when it is not installed."""
    beside = Path(sys.executable).parent / "hadolint"
    return shutil.which("hadolint") or (str(beside) if beside.is_file() else None)


def hadolint(variants: Iterable[str]) -> pd.DataFrame | None:
    """hadolint's findings for each variant's Dockerfile (columns variant, line, code, level,
    message), an empty table when there are none, or None when hadolint is not installed."""
    exe = hadolint_path()
    if exe is None:
        return None
    paths = {str(DOCKERFILES / v / "Dockerfile"): v for v in variants}
    proc = subprocess.run([exe, "--format", "json", "--no-fail", *paths], capture_output=True, text=True, cwd=ROOT)
    try:
        records = json.loads(proc.stdout or "[]")
    except ValueError:
        raise DockerlabError(f"hadolint ({exe}) did not answer in JSON (exit code {proc.returncode}): "
                             f"{(proc.stderr or proc.stdout).strip()[:300]}") from None
    rows = [{"variant": paths.get(r["file"], r["file"]), "line": r["line"], "code": r["code"],
             "level": r["level"], "message": r["message"]} for r in records]
    return pd.DataFrame(rows, columns=["variant", "line", "code", "level", "message"])
