"""What is inside an image's layers: every tar entry, dive's efficiency numbers, and build history.

Archives are read in one streaming pass (nothing is written to disk, no layer is held in
memory), from a docker SDK ``Image``, an iterable of bytes chunks, a path, or a binary file.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import posixpath
import re
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import zstandard

from .errors import ArchiveError, ImageNotFound

__all__ = ["files", "efficiency", "Efficiency", "WastedPath", "history", "history_from_records"]

COLUMNS = ("layer", "path", "size", "type", "mode", "uid", "gid", "linkname")
_JSON_LIMIT = 8 << 20  # small non-layer members (manifest.json, configs) are kept, parsed
_READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, zstandard.ZstdError)


class _ChunkReader(io.RawIOBase):
    """A readable raw stream over an iterator of bytes chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._view = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._view:
            try:
                self._view = memoryview(next(self._chunks)).cast("B")
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._view))
        buffer[:n] = self._view[:n]
        self._view = self._view[n:]
        return n


def _norm(name: str) -> str:
    """Tar name → 'a/b' (no './' or '/' prefix, no trailing '/'); '' for the root."""
    path = posixpath.normpath(name.strip()).lstrip("/")
    return "" if path == "." else path


def _entry_type(info: tarfile.TarInfo, path: str) -> str:
    base = posixpath.basename(path)
    if base.startswith(".wh..wh.."):
        return "opaque"
    if base.startswith(".wh."):
        return "whiteout"
    for kind, test in (("file", info.isreg), ("dir", info.isdir), ("symlink", info.issym),
                       ("hardlink", info.islnk)):
        if test():
            return kind
    return "other"


def _sniff(head: bytes) -> str | None:
    """'gzip', 'zstd' or 'tar' when the first bytes of a member look like a layer, else None."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if len(head) == 512 and (head[257:262] == b"ustar" or head == bytes(512)):
        return "tar"  # a ustar/pax/gnu header, or the zero block of an empty layer
    return None


def _cut_short(tar: tarfile.TarFile) -> bool:
    """True when a streamed tar ran out of data where a header (or its end marker) should be."""
    return tar.fileobj.tell() - tar.offset < tarfile.BLOCKSIZE  # type: ignore[union-attr]


def _layer_rows(stream: BinaryIO, kind: str) -> list[tuple]:
    """(path, size, type, mode, uid, gid, linkname) for each entry of one layer tar, streamed."""
    buffered = io.BufferedReader(stream, 1 << 16)  # type: ignore[arg-type]
    if kind == "gzip":  # GzipFile (not 'r|gz') also reads multi-member gzip, as pigz writes
        fileobj: Any = gzip.GzipFile(fileobj=buffered)
    elif kind == "zstd":
        fileobj = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
    else:
        fileobj = buffered
    rows = []
    with tarfile.open(fileobj=fileobj, mode="r|") as layer:
        for info in layer:
            path = _norm(info.name)
            if path:
                size = info.size if info.isreg() else 0
                rows.append((path, size, _entry_type(info, path), info.mode, info.uid, info.gid,
                             info.linkname))
        if _cut_short(layer):
            raise tarfile.ReadError(f"layer tar ends after {len(rows)} entries")
    return rows


def _docker_chunks(image: Any) -> Iterator[bytes]:
    """`image.save()` chunks, with the SDK's 'no such image' turned into ImageNotFound."""
    import docker.errors

    try:
        yield from image.save(chunk_size=1 << 20)
    except docker.errors.NotFound as exc:
        raise ImageNotFound(f"the engine has no image {getattr(image, 'id', image)!r}: {exc}. "
                            "List images with `docker image ls`.") from exc


def _open(source: Any) -> tuple[BinaryIO, str, bool]:
    """(stream, description, whether we opened it and must close it)."""
    if hasattr(source, "save") and hasattr(source, "history"):
        return _ChunkReader(_docker_chunks(source)), f"image {getattr(source, 'id', source)}", False
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ImageNotFound(f"no image archive at {str(path)!r}. Create one with "
                                "`docker save IMAGE -o FILE`, or pass an Image object.")
        if not path.is_file():
            raise ArchiveError(f"{str(path)!r} is not a file; pass the .tar written by `docker save`.")
        return path.open("rb"), str(path), True
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source), "bytes", False
    if hasattr(source, "read"):
        return source, getattr(source, "name", "file object"), False
    if isinstance(source, Iterable):
        return _ChunkReader(source), "chunk stream", False
    raise TypeError(f"files() takes an Image, a path, a binary file or bytes chunks, not {type(source)}")


def _resolve(name: str, aliases: dict[str, str]) -> str:
    for _ in range(16):  # follow layer.tar symlinks/hardlinks, never loop forever
        if name not in aliases:
            break
        name = aliases[name]
    return name


def files(source: Any) -> pd.DataFrame:
    """One row per tar entry per layer (layer 0 = base), read from a saved image in one pass.

    ``df.attrs`` holds ``repo_tags`` and the image ``config`` (history, created) when present.
    """
    stream, what, owned = _open(source)
    blobs: dict[str, list[tuple]] = {}  # member name -> entry rows of that layer
    broken: dict[str, str] = {}  # member name -> why it could not be read as a layer
    aliases: dict[str, str] = {}  # symlinked/hardlinked member -> its target member
    docs: dict[str, Any] = {}  # small JSON members (manifest.json, config)
    seen = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as outer:
            for member in outer:
                seen += 1
                name = _norm(member.name)
                if member.issym() or member.islnk():
                    base = "" if member.islnk() else posixpath.dirname(name)
                    aliases[name] = _norm(posixpath.join(base, member.linkname))
                    continue
                if not member.isreg():
                    continue
                body = outer.extractfile(member)
                assert body is not None
                head = body.read(512)
                kind = _sniff(head)
                if kind:
                    rest = iter(partial(body.read, 1 << 16), b"")
                    try:
                        blobs[name] = _layer_rows(_ChunkReader(itertools.chain([head], rest)), kind)
                    except _READ_ERRORS as exc:
                        broken[name] = f"{kind} layer unreadable ({exc})"
                elif member.size <= _JSON_LIMIT:
                    try:
                        docs[name] = json.loads(head + body.read())
                    except ValueError:
                        pass
            if _cut_short(outer):  # tarfile stops quietly when data ends on a header
                raise tarfile.ReadError("no end-of-archive marker")
    except _READ_ERRORS as exc:
        if seen == 0:
            raise ArchiveError(f"{what} is not an image archive: no tar header at its start ({exc}). "
                               "Pass the file written by `docker save IMAGE -o FILE`.") from exc
        raise ArchiveError(f"{what} ends early or is corrupt after {seen} tar entries ({exc}); "
                           "the archive is truncated. Save the image again.") from exc
    finally:
        if owned:
            stream.close()

    manifest = docs.get("manifest.json")
    if not (isinstance(manifest, list) and manifest and isinstance(manifest[0], dict)
            and isinstance(manifest[0].get("Layers"), list)):
        state = "has no manifest.json" if manifest is None else "has a manifest.json without a Layers list"
        raise ArchiveError(f"{what} {state} (read {seen} tar entries, {len(blobs)} layer tars); "
                           "without it the layer order is unknown. Save the image with "
                           "`docker save IMAGE -o FILE` (not `docker export`, not an OCI-only export).")
    entry = manifest[0]
    records: list[tuple] = []
    for index, ref in enumerate(entry["Layers"]):
        key = _resolve(_norm(ref), aliases)
        if key not in blobs:
            why = broken.get(key, "no such tar member was found")
            raise ArchiveError(f"{what}: manifest.json lists layer {index} as {ref!r}, but {why} "
                               f"(found layers: {sorted(blobs)[:5]}…). Save the image again.")
        records.extend((index, *row) for row in blobs[key])
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    frame = frame.astype({c: "int64" for c in ("layer", "size", "mode", "uid", "gid")})
    config = docs.get(_resolve(_norm(entry.get("Config") or ""), aliases))
    frame.attrs.update(repo_tags=list(entry.get("RepoTags") or []),
                       config=config if isinstance(config, dict) else None)
    return frame


# --- efficiency, exactly as dive 0.13.1 (filetree/efficiency.go, file_tree.go) -------------

class _Node:
    """A node of dive's per-layer FileTree: implied parents exist with is_dir=False, size=0."""

    __slots__ = ("kids", "is_dir", "size")

    def __init__(self, is_dir: bool = False, size: int = 0) -> None:
        self.kids: dict[str, _Node] = {}
        self.is_dir, self.size = is_dir, size

    def copy(self) -> _Node:
        twin = _Node(self.is_dir, self.size)
        twin.kids = {name: kid.copy() for name, kid in self.kids.items()}
        return twin

    def walk(self, names: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], _Node]]:
        """Depth first, children (in byte order) before their parent; the root is skipped."""
        for name in sorted(self.kids):
            yield from self.kids[name].walk((*names, name))
        if names:
            yield names, self

    def add(self, path: str, is_dir: bool, size: int) -> None:  # FileTree.AddPath
        node = self
        for name in filter(None, path.split("/")):
            if name not in node.kids:
                if name.startswith(".wh..wh.."):  # opaque markers never become nodes
                    return
                node.kids[name] = _Node()
            node = node.kids[name]
        node.is_dir, node.size = is_dir, size

    def get(self, path: str) -> _Node | None:  # FileTree.GetNode
        node: _Node | None = self
        for name in filter(None, path.split("/")):
            node = node.kids.get(name) if node else None
        return node

    def stack(self, upper: _Node) -> None:  # FileTree.Stack: whiteouts remove, the rest add
        for names, node in upper.walk():
            path = _node_path(names)
            if names[-1].startswith(".wh."):
                parent = self.get(posixpath.dirname(path))
                if parent is not None:
                    parent.kids.pop(posixpath.basename(path), None)
            else:
                self.add(path, node.is_dir, node.size)


def _node_path(names: tuple[str, ...]) -> str:
    """dive's FileNode.Path(): a whiteout leaf `.wh.NAME` stands for NAME."""
    last = names[-1][4:] if names[-1].startswith(".wh.") else names[-1]
    return "/".join((*names[:-1], last))


@dataclass(frozen=True)
class WastedPath:
    """A path held by two layers or more; `pandas.DataFrame(eff.top_wasted)` tabulates them."""

    path: str
    copies: int
    cumulative_size: int
    smallest_size: int
    reclaimable: int


@dataclass(frozen=True)
class Efficiency:
    """dive's image numbers, plus `reclaimable_bytes` (what removing duplicates would save)."""

    size_bytes: int
    user_size_bytes: int
    wasted_bytes: int
    reclaimable_bytes: int
    efficiency: float
    user_wasted_ratio: float
    top_wasted: tuple[WastedPath, ...]


def efficiency(files_df: pd.DataFrame) -> Efficiency:
    """dive 0.13.1's efficiency score, wasted bytes and sizes, computed from `files()` rows."""
    count = int(files_df["layer"].max()) + 1 if len(files_df) else 0
    trees = [_Node() for _ in range(count)]
    for layer, path, kind, size in files_df[["layer", "path", "type", "size"]].itertuples(index=False):
        trees[layer].add(path, kind == "dir", int(size))

    stats: dict[str, list[int]] = {}  # path -> [cumulative size, smallest size (-1: none), copies]
    lower, stacked_upto = None, -1  # dive's StackTreeRange(trees, 0, idx-1), built incrementally
    for idx, tree in enumerate(trees):
        for names, node in tree.walk():
            if node.kids:
                continue  # dive only visits leaves
            path = _node_path(names)
            data = stats.setdefault(path, [0, -1, 0])
            size = node.size
            if names[-1].startswith(".wh."):
                if lower is None:
                    lower = trees[0].copy()
                while stacked_upto < idx - 1:  # dive stacks layer 0 onto its own copy too
                    stacked_upto += 1
                    lower.stack(trees[stacked_upto])
                hidden = lower.get(path)
                if hidden is None:
                    break  # dive's visitor errors here and skips the rest of this layer
                size = sum(n.size for _, n in hidden.walk()) + hidden.size if hidden.is_dir else 0
            data[0] += size
            data[1] = size if data[1] < 0 else min(data[1], size)
            data[2] += 1

    cumulative = sum(d[0] for d in stats.values())
    smallest = sum(d[1] for d in stats.values())  # an unmatched whiteout leaves -1 here, as in dive
    wasted = sorted((WastedPath(p, d[2], d[0], d[1], d[0] - d[1])
                     for p, d in stats.items() if d[2] >= 2),
                    key=lambda w: (-w.cumulative_size, w.path))
    size_bytes = int(files_df["size"].sum())
    user_size = int(files_df.loc[files_df["layer"] != 0, "size"].sum())
    wasted_bytes = sum(w.cumulative_size for w in wasted)
    return Efficiency(
        size_bytes=size_bytes,
        user_size_bytes=user_size,
        wasted_bytes=wasted_bytes,
        reclaimable_bytes=sum(d[0] - d[1] for d in stats.values() if d[2]),
        efficiency=smallest / cumulative if cumulative else 1.0,
        user_wasted_ratio=wasted_bytes / user_size if user_size else 0.0,
        top_wasted=tuple(wasted),
    )


# --- build history -------------------------------------------------------------------------

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
