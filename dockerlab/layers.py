"""An image's layers as one file table: a row per tar entry per layer, kept on disk by image id.

The archive is read in one streaming pass (`archive.read`); `filetree` turns the table into
dive's numbers or the final filesystem, `history` gives the build steps beside it.
"""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path
from typing import Any

import pandas as pd

from . import _tar, archive

__all__ = ["files", "cache_dir", "COLUMNS"]

COLUMNS = ("layer", "path", "size", "type", "mode", "uid", "gid", "linkname")
_ROOT = Path(__file__).resolve().parent.parent
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")  # an id that names content: safe to keep its table by
_KINDS = {b"0": "file", b"\0": "file", b"7": "file", b"S": "file", b"5": "dir", b"2": "symlink",
          b"1": "hardlink"}

_Layer = tuple[list, list, list, list, list, list, list]  # path, size, type, mode, uid, gid, linkname


def cache_dir() -> Path:
    """Where the file tables of images already read are kept: ``$DOCKERLAB_OUTPUT/cache/files``
    (default ``output/`` of the checkout). ``python -m dockerlab clean`` empties it."""
    return Path(os.environ.get("DOCKERLAB_OUTPUT") or _ROOT / "output") / "cache" / "files"


def files(source: Any, *, cache: bool = True) -> pd.DataFrame:
    """One row per tar entry per layer (layer 0 = base), read from a saved image in one pass.

    `source` is a docker SDK ``Image``, a path, a binary file, bytes or bytes chunks of an
    archive that ``docker save`` wrote. ``df.attrs`` holds ``repo_tags`` and the image
    ``config`` (history, created) when present. An image's id names its content, so the table
    of an image read once is kept on disk (`cache_dir`) and given back at once the next time;
    ``cache=False`` reads it again.
    """
    image_id = getattr(source, "id", None) if hasattr(source, "save") else None
    if not (cache and isinstance(image_id, str) and _DIGEST.fullmatch(image_id)):
        return _read_files(source)
    kept = cache_dir() / f"{image_id.removeprefix('sha256:')}.pkl"
    try:
        return pd.read_pickle(kept)
    except (OSError, EOFError, ValueError, pickle.UnpicklingError, AttributeError, ImportError):
        pass  # not read yet, or kept by another version of pandas: read it again
    frame = _read_files(source)
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial_path = kept.with_name(f"{kept.name}.{os.getpid()}.partial")
        frame.to_pickle(partial_path)
        partial_path.replace(kept)  # atomic: two learners reading the same image never see half a file
    except OSError:
        pass  # a full or read-only disk only costs the next read its time
    return frame


def _layer_columns(blob: archive.Blob) -> _Layer:
    """The table's columns for one layer, read from its tar as the stream goes by."""
    columns: _Layer = ([], [], [], [], [], [], [])
    paths, sizes, types, modes, uids, gids, links = columns
    for name, entry_kind, entry_size, mode, uid, gid, linkname, *_ in _tar.entries(blob.feed):
        path = _tar.norm(name)
        if not path:
            continue
        base = path.rpartition("/")[2]
        if base.startswith(".wh."):
            types.append("opaque" if base.startswith(".wh..wh..") else "whiteout")
        else:
            types.append(_KINDS.get(entry_kind, "other"))
        paths.append(path)
        sizes.append(entry_size if entry_kind in _tar.REGULAR else 0)
        modes.append(mode)
        uids.append(uid)
        gids.append(gid)
        links.append(linkname)
    return columns


def _read_files(source: Any) -> pd.DataFrame:
    """`files` without the cache: one streamed pass over the archive."""
    found = archive.read(source, _layer_columns)
    entry = found.manifest()
    layers: list[_Layer] = found.ordered_layers(entry)
    columns: dict[str, list] = {"layer": [index for index, layer in enumerate(layers) for _ in layer[0]]}
    for position, column in enumerate(COLUMNS[1:]):  # built column by column, not from row tuples
        columns[column] = [value for layer in layers for value in layer[position]]
    frame = pd.DataFrame(columns, columns=list(COLUMNS))
    frame = frame.astype({c: "int64" for c in ("layer", "size", "mode", "uid", "gid")})
    frame.attrs.update(repo_tags=list(entry.get("RepoTags") or []), config=found.config(entry))
    return frame
