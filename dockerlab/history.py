"""An image's build history: one row per build step, oldest first, from the engine's records."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = ["history", "history_from_records"]

_SHELL = re.compile(r"^(?:RUN )?(?:\|\d+ .*?)?/bin/sh -c ")
_LAYER_WORDS = {"RUN", "ADD", "COPY", "WORKDIR"}  # the legacy builder commits a layer for WORKDIR too
_CONTENT_DIGEST = re.compile(r"\b(dir|file|multi):([0-9a-f]{64})\b")


def _instruction(full: str) -> str:
    text = " ".join(full.split()).removesuffix(" # buildkit")
    match = _SHELL.match(text)
    if match:
        rest = text[match.end():]
        text = rest.removeprefix("#(nop)").strip() if rest.startswith("#(nop)") else f"RUN {rest}"
    text = _CONTENT_DIGEST.sub(lambda m: f"{m.group(1)}:{m.group(2)[:12]}", text)  # COPY dir:<sha256> in .
    return text if len(text) <= 60 else text[:59] + "…"


def history_from_records(records: list[dict]) -> pd.DataFrame:
    """Build steps, oldest first, from `Image.history()` records (which come newest first)."""
    rows = []
    for step, record in enumerate(reversed(records)):
        full = record.get("CreatedBy") or ""
        # An imported base (docker import, debootstrap) records no instruction, only a comment.
        short = _instruction(full) or f"({record.get('Comment') or 'no instruction recorded'})"
        size = int(record.get("Size") or 0)
        rows.append({
            "step": step,
            "instruction": short,
            "full": full,
            "size": size,
            "layer": size > 0 or short.split(" ", 1)[0].upper() in _LAYER_WORDS,
            "created": pd.Timestamp(int(record.get("Created") or 0), unit="s", tz="UTC"),
        })
    columns = ["step", "instruction", "full", "size", "layer", "created"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"step": "int64", "size": "int64", "layer": "bool",
                         "created": "datetime64[ns, UTC]"})


def history(image: Any) -> pd.DataFrame:
    """Build steps of a docker SDK `Image`, oldest first (see `history_from_records`)."""
    return history_from_records(image.history())
