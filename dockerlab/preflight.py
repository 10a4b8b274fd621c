"""Is this machine ready for the tutorial? A list of checks, each with what to do about it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from . import aptcache, naming
from .dockerfiles import TUTORIAL_BASES
from .engine import connect
from .errors import EngineUnavailable
from .kit import find_kit
from .standin import standin_name

__all__ = ["Check", "preflight", "MIN_FREE_BYTES"]

MIN_FREE_BYTES = 4 * 10**9
"""The single-stage image alone is over a gigabyte, and builds need room for their layers."""


@dataclass(frozen=True)
class Check:
    """One line of the preflight table."""

    name: str
    status: str  # "ok", "todo" (prepare will handle it) or "fail"
    detail: str


def preflight() -> list[Check]:
    """Check the engine, disk and bases; never raise for a problem the table can report."""
    try:
        client, engine = connect()
    except EngineUnavailable as exc:
        return [Check("engine", "fail", str(exc))]
    checks = [Check("engine", "ok", engine.describe()), Check("image store", "ok", engine.store_note())]
    checks.append(_disk(client))
    for base in TUTORIAL_BASES:
        checks.append(_base(client, base))
    checks.append(Check("packages", "ok", aptcache.source_line()))
    checks.append(Check("prefix", "ok", f"images are named {naming.image_name('NAME')} "
                                        f"and labelled {naming.LABEL}={naming.prefix()}"))
    return checks


def _disk(client) -> Check:
    root = client.info().get("DockerRootDir", "/var/lib/docker")
    try:
        free = shutil.disk_usage(root).free
    except OSError:
        return Check("disk", "ok", f"the engine's data ({root}) is not on this machine; cannot measure its free space")
    gb = free / 1e9
    if free < MIN_FREE_BYTES:
        return Check("disk", "fail", f"{gb:.1f} GB free under {root}; the tutorial needs {MIN_FREE_BYTES / 1e9:.0f} GB. "
                                     "Free some space (docker system prune removes unused images of every project).")
    return Check("disk", "ok", f"{gb:.0f} GB free under {root}")


def _base(client, name: str) -> Check:
    for ref in (name, standin_name(name)):
        if ref and client.images.list(name=ref):
            how = "present" if ref == name else f"the Debian stand-in {ref} is present"
            return Check(f"base {name}", "ok", how)
    kits = find_kit()
    where = f"from the kit {kits[0]}" if kits else "by a pull, or else a Debian bootstrap"
    return Check(f"base {name}", "todo", f"not on this engine yet; python -m dockerlab prepare will get it {where}")
