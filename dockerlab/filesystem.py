"""The final filesystem of an image: what a container started from it would see."""

from __future__ import annotations

import posixpath

import pandas as pd

__all__ = ["final_files"]


def final_files(files_df: pd.DataFrame) -> pd.DataFrame:
    """The entries of `layers.files()` that survive in the final filesystem, one per path.

    The last layer's entry of each path wins, and whatever a later layer removed is dropped:
    whiteouts, opaque directories, and directories replaced by a file or link.
    """
    removed: dict[str, int] = {}  # path -> highest layer that removed it and everything below it
    below: dict[str, int] = {}  # path -> highest layer that removed everything below it
    for layer, path, kind in files_df[["layer", "path", "type"]].itertuples(index=False):
        parent, base = posixpath.split(path)
        if kind == "whiteout":
            target = posixpath.join(parent, base[len(".wh."):])
            removed[target] = max(removed.get(target, -1), layer)
        elif kind == "opaque":
            below[parent] = max(below.get(parent, -1), layer)
        elif kind != "dir":
            below[path] = max(below.get(path, -1), layer)
    last = files_df[~files_df["type"].isin(["whiteout", "opaque"])].drop_duplicates("path", keep="last")
    keep = []
    for layer, path in last[["layer", "path"]].itertuples(index=False):
        parts = path.split("/")
        ancestors = ("/".join(parts[:i]) for i in range(1, len(parts)))
        keep.append(removed.get(path, -1) <= layer
                    and not any(removed.get(a, -1) > layer or below.get(a, -1) > layer for a in ancestors))
    return last[pd.Series(keep, index=last.index, dtype=bool)].reset_index(drop=True)
