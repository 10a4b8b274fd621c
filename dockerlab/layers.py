"""What is inside an image's layers: every tar entry, dive's efficiency numbers, and build history.

Archives are read in one streaming pass (nothing is written to disk, no layer is held in
memory), from a docker SDK ``Image``, an iterable of bytes chunks, a path, or a binary file.
"""

from __future__ import annotations

import gc
import gzip
import io
import json
import os
import pickle
import posixpath
import re
import struct
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

__all__ = ["files", "cache_dir", "efficiency", "Efficiency", "WastedPath", "history", "history_from_records"]

COLUMNS = ("layer", "path", "size", "type", "mode", "uid", "gid", "linkname")
_JSON_LIMIT = 8 << 20  # small non-layer members (manifest.json, configs) are kept, parsed
_ROOT = Path(__file__).resolve().parent.parent
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")  # an id that names content: safe to keep its table by
_READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, zstandard.ZstdError)


class _ChunkReader(io.RawIOBase):
    """A readable raw stream over an iterator of bytes chunks (for tarfile, in dockerlab.oci)."""

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


class _Feed:
    """A forward-only byte stream over an iterator of bytes chunks (read, peek, skip).

    Skipping steps over whole chunks without copying them. ``limit`` (an offset in the stream,
    or None) makes the stream end there, as a tar member's content ends for the tar inside it.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buf = b""  # the current chunk
        self._pos = 0  # how much of it was consumed
        self._base = 0  # stream offset of _buf[0]
        self.limit: int | None = None

    def tell(self) -> int:
        return self._base + self._pos

    def _room(self, n: int) -> int:
        """n (0 if negative), cut at the limit."""
        if self.limit is not None and self._base + self._pos + n > self.limit:
            return max(0, self.limit - self._base - self._pos)
        return max(0, n)

    def _advance(self) -> bool:
        """Make the next non-empty chunk current (the current one is used up); False at the end."""
        self._base += len(self._buf)
        self._buf, self._pos = b"", 0
        for chunk in self._chunks:
            if chunk:
                self._buf = chunk if type(chunk) is bytes else bytes(chunk)
                return True
        return False

    def read(self, n: int) -> bytes:
        """Up to n bytes; fewer only where the stream (or the limit) ends."""
        n = self._room(n)
        pos, buf = self._pos, self._buf
        if pos + n <= len(buf):
            self._pos = pos + n
            return buf[pos:pos + n]
        parts, need = [buf[pos:]], n - (len(buf) - pos)
        self._pos = len(buf)
        while need > 0 and self._advance():
            part = self._buf[:need]
            parts.append(part)
            self._pos = len(part)
            need -= len(part)
        return b"".join(parts)

    def peek(self, n: int) -> bytes:
        """Up to n bytes, left unread."""
        n = self._room(n)
        if len(self._buf) - self._pos < n:
            start, parts = self.tell(), [self._buf[self._pos:]]
            have = len(parts[0])
            for chunk in self._chunks:
                parts.append(bytes(chunk))
                have += len(chunk)
                if have >= n:
                    break
            self._buf, self._pos, self._base = b"".join(parts), 0, start
        return self._buf[self._pos:self._pos + n]

    def skip(self, n: int) -> int:
        """Step over n bytes; returns how many there were."""
        n = left = self._room(n)
        while left > len(self._buf) - self._pos:
            left -= len(self._buf) - self._pos
            if not self._advance():
                return n - left
        self._pos += left
        return n


# --- tar headers ------------------------------------------------------------------------------

_BLOCK = 512
_ZEROS = bytes(_BLOCK)
_REGULAR = frozenset(tarfile.REGULAR_TYPES)  # b"0", b"\0", b"7", b"S"
_SUPPORTED = frozenset(tarfile.SUPPORTED_TYPES)
_PAX_RECORD = re.compile(rb"(\d+) ([^=]+)=")
_KINDS = {b"0": "file", b"\0": "file", b"7": "file", b"S": "file", b"5": "dir", b"2": "symlink",
          b"1": "hardlink"}


class _BadHeader(Exception):
    """A 512-byte block that is no tar header (tarfile's InvalidHeaderError)."""


def _text(field: bytes) -> str:
    return field.partition(b"\0")[0].decode(tarfile.ENCODING, "surrogateescape")


def _number(field: bytes) -> int:
    """A numeric header field as tarfile reads it: octal text (NUL-ended, maybe blank-padded,
    empty for 0), or GNU base-256 (first byte 0x80, or 0xff for a negative number)."""
    try:
        return int(field.partition(b"\0")[0], 8)  # the usual case: what follows gives the same
    except ValueError:
        pass
    if field[0] in (0x80, 0xFF):
        n = int.from_bytes(field[1:], "big")
        return n - 256 ** (len(field) - 1) if field[0] == 0xFF else n
    try:
        return int(field.partition(b"\0")[0].decode("ascii").strip() or "0", 8)
    except ValueError:
        raise _BadHeader("invalid number in a tar header") from None


def _checksum_ok(block: bytes) -> bool:
    """Whether the header's checksum field holds the sum of its bytes (that field counted as
    8 spaces), unsigned or, as some old tars wrote it, signed.

    The unsigned sum is read off zlib's Adler-32 of three pieces of the block: its low half is
    1 + the byte sum modulo 65521, exact for pieces under 257 bytes; far faster than sum().
    """
    stored, adler = _number(block[148:156]), zlib.adler32
    pieces = (adler(block[:148]) & 0xFFFF) + (adler(block[156:356]) & 0xFFFF) + (adler(block[356:]) & 0xFFFF)
    return stored == 256 + pieces - 3 or stored == 256 + sum(struct.unpack_from("148b8x356b", block))


def _padded(size: int) -> int:
    """Bytes a member's content takes in the archive: whole 512-byte blocks (tarfile's _block)."""
    return -(-size // _BLOCK) * _BLOCK


def _member(feed: _Feed, pax_global: dict[str, str]) -> list | None:
    """[name, type, size, mode, uid, gid, linkname, end, start] of the next member; None at the end.

    Reads headers as `tarfile` does: ustar (with its name prefix), GNU (long names and link
    names 'L'/'K', base-256 numbers, old sparse files 'S'), PAX extended 'x' and global 'g'
    records (path, linkpath, size, uid, gid, GNU.sparse sizes), old V7 directories. Unlike
    tarfile, it leaves mtime, owner names and device numbers unread. ``start`` is the stream
    offset of the member's content, ``end`` that of the next header: as in tarfile, content
    is only skipped for regular files and types tarfile does not know.
    """
    block = feed.read(_BLOCK)
    if len(block) < _BLOCK:
        raise tarfile.ReadError("truncated tar header" if block else "tar data ends without an end marker")
    if not block[0] and block == _ZEROS:
        return None
    if not _checksum_ok(block):
        raise _BadHeader("bad tar header checksum")
    kind, size = block[156:157], _number(block[124:136])
    mode, uid, gid = _number(block[100:108]), _number(block[108:116]), _number(block[116:124])

    if kind in (b"L", b"K", b"x", b"X", b"g"):  # they describe the member whose header follows
        data = feed.read(_padded(size))
        if kind != b"L" and kind != b"K":
            records = pax_global if kind == b"g" else dict(pax_global)
            pos = 0
            while match := _PAX_RECORD.match(data, pos):  # "<length> <key>=<value>\n"
                length = int(match.group(1))
                if not length:
                    raise _BadHeader("invalid PAX record")
                value = data[match.end(2) + 1:match.start(1) + length - 1]
                records[match.group(2).decode("utf-8", "surrogateescape")] = _pax_text(value)
                pos += length
        try:
            entry = _member(feed, pax_global)
        except (_BadHeader, tarfile.ReadError) as exc:
            raise tarfile.ReadError(f"bad tar header after a {kind.decode()!r} header ({exc})") from None
        if entry is None:
            raise tarfile.ReadError(f"tar end marker after a {kind.decode()!r} header")
        if kind == b"L" or kind == b"K":
            entry[0 if kind == b"L" else 6] = _text(data)
        elif kind != b"g":
            _apply_pax(entry, records)
            if "size" in records:  # the content's length changed with it
                regular = entry[1] in _REGULAR or entry[1] not in _SUPPORTED
                entry[7] = entry[8] + (_padded(entry[2]) if regular else 0)
        return entry

    name = _text(block[:100])
    if kind == b"\0" and name.endswith("/"):
        kind = b"5"
    if block[345] and kind != b"S":  # a ustar name prefix
        name = _text(block[345:500]) + "/" + name
    stored = size
    if kind == b"S":  # old GNU sparse: the file's size is further on, more headers may follow
        size = _number(block[483:495])
        more = block[482]
        while more:
            extra = feed.read(_BLOCK)
            more = extra[504] if len(extra) == _BLOCK else 0
    start = feed.tell()
    end = start + (_padded(stored) if kind in _REGULAR or kind not in _SUPPORTED else 0)
    entry = [name, kind, size, mode, uid, gid, _text(block[157:257]) if block[157] else "", end, start]
    if pax_global and kind != b"S":
        _apply_pax(entry, pax_global)
    return entry


def _pax_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode(tarfile.ENCODING, "surrogateescape")


def _apply_pax(entry: list, records: dict[str, str]) -> None:
    """PAX records over a member's header fields, in their order, as tarfile applies them."""
    for key, value in records.items():
        if key == "path":
            entry[0] = value.rstrip("/")
        elif key == "GNU.sparse.name":
            entry[0] = value
        elif key == "linkpath":
            entry[6] = value
        elif key in _PAX_NUMBERS:
            try:
                entry[_PAX_NUMBERS[key]] = int(value)
            except ValueError:
                entry[_PAX_NUMBERS[key]] = 0


_PAX_NUMBERS = {"size": 2, "GNU.sparse.size": 2, "GNU.sparse.realsize": 2, "uid": 4, "gid": 5}


def _entries(feed: _Feed) -> Iterator[list]:
    """The members of the tar at the feed's position, in order (see `_member`).

    Like tarfile's stream mode, it stops quietly at an end marker or at a block that is no
    header, and raises tarfile.ReadError where the data ends early (no end marker, a cut header,
    cut content) or the first block is no header. The caller may read into a member's content;
    the rest of it is skipped when the next member is asked for.
    """
    pax_global: dict[str, str] = {}
    count = 0
    while True:
        try:
            entry = _member(feed, pax_global)
        except _BadHeader as exc:
            if count == 0:
                raise tarfile.ReadError(str(exc)) from None
            return
        if entry is None:
            return
        count += 1
        yield entry
        gap = entry[7] - feed.tell()
        if gap < 0:
            raise tarfile.ReadError(f"tar member {count} has a negative size")
        if gap and feed.skip(gap) < gap:
            raise tarfile.ReadError(f"unexpected end of data in tar member {count}")


def _norm(name: str) -> str:
    """Tar name → 'a/b' (no './' or '/' prefix, no trailing '/'); '' for the root."""
    path = name.strip()
    if path and "//" not in path and "/." not in path and path[0] != "." and path[-1] != "/":
        return path.lstrip("/")  # already normal: what normpath would return, faster
    path = posixpath.normpath(path).lstrip("/")
    return "" if path == "." else path


def _sniff(head: bytes) -> str | None:
    """'gzip', 'zstd' or 'tar' when the first bytes of a member look like a layer, else None."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if len(head) == 512 and (head[257:262] == b"ustar" or head == bytes(512)):
        return "tar"  # a ustar/pax/gnu header, or the zero block of an empty layer
    return None


_Layer = tuple[list, list, list, list, list, list, list]  # path, size, type, mode, uid, gid, linkname


def _layer_columns(feed: _Feed, size: int, kind: str) -> _Layer:
    """The entry columns of the layer in the next `size` bytes of the feed: a tar, read in line
    from the feed, or a gzip/zstd blob decompressed on the way."""
    columns: _Layer = ([], [], [], [], [], [], [])
    paths, sizes, types, modes, uids, gids, links = columns
    feed.limit = feed.tell() + size
    try:
        # Decompressed in tarfile's record size, as before: a blob damaged past the tar's end
        # marker (its checksum, trailing padding) then reads exactly as tarfile read it.
        if kind == "gzip":  # GzipFile (not 'r|gz') also reads multi-member gzip, as pigz writes
            blob: Any = gzip.GzipFile(fileobj=feed)  # type: ignore[arg-type]
            source = _Feed(iter(partial(blob.read, tarfile.RECORDSIZE), b""))
        elif kind == "zstd":
            blob = zstandard.ZstdDecompressor().stream_reader(feed, read_across_frames=True)
            source = _Feed(iter(partial(blob.read, tarfile.RECORDSIZE), b""))
        else:
            source = feed
        for name, entry_kind, entry_size, mode, uid, gid, linkname, *_ in _entries(source):
            path = _norm(name)
            if not path:
                continue
            base = path.rpartition("/")[2]
            if base.startswith(".wh."):
                types.append("opaque" if base.startswith(".wh..wh..") else "whiteout")
            else:
                types.append(_KINDS.get(entry_kind, "other"))
            paths.append(path)
            sizes.append(entry_size if entry_kind in _REGULAR else 0)
            modes.append(mode)
            uids.append(uid)
            gids.append(gid)
            links.append(linkname)
    finally:
        feed.limit = None
    return columns


def _docker_chunks(image: Any) -> Iterator[bytes]:
    """`image.save()` chunks, with the SDK's 'no such image' turned into ImageNotFound."""
    import docker.errors

    try:
        yield from image.save(chunk_size=1 << 20)
    except docker.errors.NotFound as exc:
        raise ImageNotFound(f"the engine has no image {getattr(image, 'id', image)!r}: {exc}. "
                            "List images with `docker image ls`.") from exc


def _open(source: Any) -> tuple[Iterable[bytes], str, BinaryIO | None]:
    """(chunks, description, the file we opened and must close)."""
    if hasattr(source, "save") and hasattr(source, "history"):
        return _docker_chunks(source), f"image {getattr(source, 'id', source)}", None
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ImageNotFound(f"no image archive at {str(path)!r}. Create one with "
                                "`docker save IMAGE -o FILE`, or pass an Image object.")
        if not path.is_file():
            raise ArchiveError(f"{str(path)!r} is not a file; pass the .tar written by `docker save`.")
        handle = path.open("rb")
        return iter(partial(handle.read, 1 << 20), b""), str(path), handle
    if isinstance(source, (bytes, bytearray, memoryview)):
        return [bytes(source)], "bytes", None
    if hasattr(source, "read"):
        return iter(partial(source.read, 1 << 20), b""), getattr(source, "name", "file object"), None
    if isinstance(source, Iterable):
        return source, "chunk stream", None
    raise TypeError(f"files() takes an Image, a path, a binary file or bytes chunks, not {type(source)}")


def _resolve(name: str, aliases: dict[str, str]) -> str:
    for _ in range(16):  # follow layer.tar symlinks/hardlinks, never loop forever
        if name not in aliases:
            break
        name = aliases[name]
    return name


def cache_dir() -> Path:
    """Where the file tables of images already read are kept: ``$DOCKERLAB_OUTPUT/cache/files``
    (default ``output/`` of the checkout). ``python -m dockerlab clean`` empties it."""
    return Path(os.environ.get("DOCKERLAB_OUTPUT") or _ROOT / "output") / "cache" / "files"


def files(source: Any, *, cache: bool = True) -> pd.DataFrame:
    """One row per tar entry per layer (layer 0 = base), read from a saved image in one pass.

    ``df.attrs`` holds ``repo_tags`` and the image ``config`` (history, created) when present.
    An image's id names its content, so the table of an image read once is kept on disk
    (`cache_dir`) and given back at once the next time; ``cache=False`` reads it again.
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


def _read_files(source: Any) -> pd.DataFrame:
    """`files` without the cache: one streamed pass over the archive."""
    chunks, what, handle = _open(source)
    feed = _Feed(chunks)
    blobs: dict[str, _Layer] = {}  # member name -> entry columns of that layer
    broken: dict[str, str] = {}  # member name -> why it could not be read as a layer
    aliases: dict[str, str] = {}  # symlinked/hardlinked member -> its target member
    docs: dict[str, Any] = {}  # small JSON members (manifest.json, config)
    seen = 0
    try:
        for member in _entries(feed):
            seen += 1
            name, kind, size, linkname = _norm(member[0]), member[1], member[2], member[6]
            if kind in (b"1", b"2"):
                base = "" if kind == b"1" else posixpath.dirname(name)
                aliases[name] = _norm(posixpath.join(base, linkname))
                continue
            if kind not in _REGULAR:
                continue
            layer = _sniff(feed.peek(min(size, 512)))
            if layer:
                try:
                    blobs[name] = _layer_columns(feed, size, layer)
                except _READ_ERRORS as exc:
                    broken[name] = f"{layer} layer unreadable ({exc})"
            elif size <= _JSON_LIMIT:
                text = feed.read(size)
                if len(text) < size:
                    raise tarfile.ReadError(f"unexpected end of data in {name!r}")
                try:
                    docs[name] = json.loads(text)
                except ValueError:
                    pass
    except _READ_ERRORS as exc:
        if seen == 0:
            raise ArchiveError(f"{what} is not an image archive: no tar header at its start ({exc}). "
                               "Pass the file written by `docker save IMAGE -o FILE`.") from exc
        raise ArchiveError(f"{what} ends early or is corrupt after {seen} tar entries ({exc}); "
                           "the archive is truncated. Save the image again.") from exc
    finally:
        if handle is not None:
            handle.close()

    manifest = docs.get("manifest.json")
    if not (isinstance(manifest, list) and manifest and isinstance(manifest[0], dict)
            and isinstance(manifest[0].get("Layers"), list)):
        state = "has no manifest.json" if manifest is None else "has a manifest.json without a Layers list"
        raise ArchiveError(f"{what} {state} (read {seen} tar entries, {len(blobs)} layer tars); "
                           "without it the layer order is unknown. Save the image with "
                           "`docker save IMAGE -o FILE` (not `docker export`, not an OCI-only export).")
    entry = manifest[0]
    layers: list[_Layer] = []
    for index, ref in enumerate(entry["Layers"]):
        key = _resolve(_norm(ref), aliases)
        if key not in blobs:
            why = broken.get(key, "no such tar member was found")
            raise ArchiveError(f"{what}: manifest.json lists layer {index} as {ref!r}, but {why} "
                               f"(found layers: {sorted(blobs)[:5]}…). Save the image again.")
        layers.append(blobs[key])
    columns: dict[str, list] = {"layer": [index for index, layer in enumerate(layers) for _ in layer[0]]}
    for position, column in enumerate(COLUMNS[1:]):  # built column by column, not from row tuples
        columns[column] = [value for layer in layers for value in layer[position]]
    frame = pd.DataFrame(columns, columns=list(COLUMNS))
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

    def walk(self) -> list[tuple[str, str, _Node]]:
        """(path, name, node) depth first, children (in byte order) before their parent; the root
        is skipped. Built as a list by plain recursion: nested generators cost per level."""
        found: list[tuple[str, str, _Node]] = []

        def visit(node: _Node, prefix: str) -> None:
            for name in sorted(node.kids):
                kid = node.kids[name]
                if kid.kids:
                    visit(kid, f"{prefix}{name}/")
                found.append((prefix + name, name, kid))

        visit(self, "")
        return found

    def add(self, path: str, is_dir: bool, size: int) -> None:  # FileTree.AddPath
        node = self
        for name in path.split("/"):
            if not name:
                continue
            kid = node.kids.get(name)
            if kid is None:
                if name.startswith(".wh..wh.."):  # opaque markers never become nodes
                    return
                kid = node.kids[name] = _Node()
            node = kid
        node.is_dir, node.size = is_dir, size

    def get(self, path: str) -> _Node | None:  # FileTree.GetNode
        node: _Node | None = self
        for name in filter(None, path.split("/")):
            node = node.kids.get(name) if node else None
        return node

    def stack(self, upper: _Node) -> None:  # FileTree.Stack: whiteouts remove, the rest add
        for path, name, node in upper.walk():
            path = _node_path(path, name)
            if name.startswith(".wh."):
                parent = self.get(posixpath.dirname(path))
                if parent is not None:
                    parent.kids.pop(posixpath.basename(path), None)
            else:
                self.add(path, node.is_dir, node.size)


def _node_path(path: str, name: str) -> str:
    """dive's FileNode.Path() of the node `name` at `path`: a whiteout `.wh.NAME` stands for NAME."""
    return path[:len(path) - len(name)] + name[4:] if name.startswith(".wh.") else path


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
    enabled = gc.isenabled()
    gc.disable()  # the trees' nodes hold no cycles; the collector's passes over them cost a third
    try:
        return _efficiency(files_df)
    finally:
        if enabled:
            gc.enable()


def _efficiency(files_df: pd.DataFrame) -> Efficiency:
    count = int(files_df["layer"].max()) + 1 if len(files_df) else 0
    trees = [_Node() for _ in range(count)]
    columns = (files_df[c].tolist() for c in ("layer", "path", "type", "size"))  # faster than rows
    for layer, path, kind, size in zip(*columns):
        trees[layer].add(path, kind == "dir", int(size))

    stats: dict[str, list[int]] = {}  # path -> [cumulative size, smallest size (-1: none), copies]
    lower, stacked_upto = None, -1  # dive's StackTreeRange(trees, 0, idx-1), built incrementally
    for idx, tree in enumerate(trees):
        for path, name, node in tree.walk():
            if node.kids:
                continue  # dive only visits leaves
            path = _node_path(path, name)
            data = stats.setdefault(path, [0, -1, 0])
            size = node.size
            if name.startswith(".wh."):
                if lower is None:
                    lower = trees[0].copy()
                while stacked_upto < idx - 1:  # dive stacks layer 0 onto its own copy too
                    stacked_upto += 1
                    lower.stack(trees[stacked_upto])
                hidden = lower.get(path)
                if hidden is None:
                    break  # dive's visitor errors here and skips the rest of this layer
                size = sum(n.size for _, _, n in hidden.walk()) + hidden.size if hidden.is_dir else 0
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
