"""What lesson 07 writes by hand, made easy to read: short digests, JSON with units, tar listings."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from . import archive

__all__ = ["short", "show", "listing"]

_BARE_DIGEST = re.compile(r"(?<!sha256:)\b([0-9a-f]{12})[0-9a-f]{52}\b")  # a blob's file name
_SIZE = re.compile(r'("size": )(\d+)')


def short(digest: str) -> str:
    """sha256:0123456789ab, the way `docker images` shortens an id."""
    return digest[:19]


def show(doc: Any) -> None:
    """Print a JSON document indented; bare digests (file names) shortened, sizes given a unit."""
    text = _SIZE.sub(lambda m: f"{m[1]}{int(m[2]):,} bytes", json.dumps(doc, indent=2))
    print(_BARE_DIGEST.sub(r"\1…", text))


def listing(source: Any) -> pd.DataFrame:
    """The entries of an archive and their sizes, as `tar tvf` lists them."""
    rows = [(_BARE_DIGEST.sub(r"\1…", name), f"{size:,} bytes")
            for name, size in archive.members(source)]
    return pd.DataFrame(rows, columns=["entry", "size"])
