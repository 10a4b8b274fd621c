"""Reading image archives, what ``docker save`` writes, in one streaming pass.

Two layouts: the classic docker-archive (``manifest.json``, ``<id>/layer.tar``, a config JSON)
and the OCI image layout of engines 25+ (``index.json``, ``blobs/sha256/<hex>``, layers maybe
gzip or zstd, beside a compatibility ``manifest.json``, which gives the layer order). A source
is a docker SDK ``Image``, a path, a binary file, bytes, or an iterable of bytes chunks.
Nothing is written to disk and no layer is held in memory: `read` hands each layer to a
callback as its bytes go by.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import posixpath
import sys
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import zstandard

from . import _tar
from .errors import ArchiveError, ImageNotFound
from .feed import Feed

__all__ = ["Blob", "Contents", "read", "members", "read_json", "layer_headers"]

JSON_LIMIT = 8 << 20  # small non-layer members (manifest.json, configs) are kept, parsed
READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, zstandard.ZstdError)
_MAGICS = {b"ustar\x0000": "ustar", b"ustar  \x00": "GNU"}


@dataclass(frozen=True)
class Blob:
    """An archive member that holds a layer: its name, size, how it is stored ('tar', 'gzip'
    or 'zstd'), and a feed of the layer's tar, decompressed on the way."""

    name: str
    size: int
    kind: str
    feed: Feed


@dataclass
class Contents:
    """What one pass over an archive found; member names are normalized (`_tar.norm`)."""

    what: str  # how messages name the source
    members: list[tuple[str, int]] = field(default_factory=list)  # (name, size) of each entry, as tarfile names it
    layers: dict[str, Any] = field(default_factory=dict)  # member -> what the layer callback returned
    broken: dict[str, str] = field(default_factory=dict)  # member -> why it could not be read as a layer
    aliases: dict[str, str] = field(default_factory=dict)  # symlinked/hardlinked member -> its target
    raw: dict[str, bytes] = field(default_factory=dict)  # small members' bytes
    docs: dict[str, Any] = field(default_factory=dict)  # those that are JSON, parsed
    corrupt: dict[str, str] = field(default_factory=dict)  # those that are not: why

    def resolve(self, name: str) -> str:
        for _ in range(16):  # follow layer.tar symlinks/hardlinks, never loop forever
            if name not in self.aliases:
                break
            name = self.aliases[name]
        return name

    def _corrupt(self, key: str) -> ArchiveError:
        return ArchiveError(f"{self.what}: {key} is corrupt, not valid JSON ({self.corrupt[key]}). "
                            "Save or write the archive again.")

    def doc(self, name: str) -> Any:
        """The JSON document `name`; ArchiveError if it is missing or corrupt."""
        key = self.resolve(_tar.norm(name))
        if key in self.corrupt:
            raise self._corrupt(key)
        if key in self.docs:
            return self.docs[key]
        if any(_tar.norm(member) == key for member, _ in self.members):
            raise ArchiveError(f"{name!r} in {self.what} is not a JSON document (a directory, a link or a layer).")
        raise ArchiveError(f"{self.what} has no entry {name!r}; its entries: "
                           f"{', '.join(member for member, _ in self.members[:8])}.")

    def manifest(self) -> dict:
        """The first entry of manifest.json, checked: it gives the layer order."""
        if "manifest.json" in self.corrupt:
            raise self._corrupt("manifest.json")
        manifest = self.docs.get("manifest.json")
        if not (isinstance(manifest, list) and manifest and isinstance(manifest[0], dict)
                and isinstance(manifest[0].get("Layers"), list)):
            state = "has no manifest.json" if manifest is None else "has a manifest.json without a Layers list"
            raise ArchiveError(f"{self.what} {state} (read {len(self.members)} tar entries, {len(self.layers)} layer "
                               "tars); without it the layer order is unknown. Save the image with "
                               "`docker save IMAGE -o FILE` (not `docker export`, not an OCI-only export).")
        return manifest[0]

    def ordered_layers(self, entry: dict) -> list:
        """What the layer callback returned for each layer `entry` lists, in its order (base first)."""
        found = []
        for index, ref in enumerate(entry["Layers"]):
            key = self.resolve(_tar.norm(ref))
            if key not in self.layers:
                why = self.broken.get(key, "no such tar member was found")
                raise ArchiveError(f"{self.what}: manifest.json lists layer {index} as {ref!r}, but {why} "
                                   f"(found layers: {sorted(self.layers)[:5]}…). Save the image again.")
            found.append(self.layers[key])
        return found

    def config_name(self, entry: dict) -> str:
        """The member that holds the image config `entry` names."""
        return self.resolve(_tar.norm(entry.get("Config") or ""))

    def config(self, entry: dict) -> dict | None:
        """The image config `entry` names, None when the archive has none; ArchiveError if corrupt."""
        name = self.config_name(entry)
        if name in self.corrupt:
            raise self._corrupt(name)
        config = self.docs.get(name)
        return config if isinstance(config, dict) else None


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
            raise ImageNotFound(f"There is no image archive at {str(path)!r}. Write one with "
                                "`docker save IMAGE -o FILE` or oci.write_image(), or pass an Image object.")
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
    raise TypeError(f"an image archive is an Image, a path, a binary file or bytes chunks, not {type(source)}")


def _sniff(head: bytes) -> str | None:
    """'gzip', 'zstd' or 'tar' when the first bytes of a member look like a layer, else None."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if len(head) == 512 and (head[257:262] == b"ustar" or head == bytes(512)):
        return "tar"  # a ustar/pax/gnu header, or the zero block of an empty layer
    return None


def _layer_feed(feed: Feed, kind: str) -> Feed:
    """The layer's tar from a (limited) feed positioned at its blob.

    Decompressed in tarfile's record size, as before: a blob damaged past the tar's end marker
    (its checksum, trailing padding) then reads exactly as tarfile read it.
    """
    if kind == "gzip":  # GzipFile (not 'r|gz') also reads multi-member gzip, as pigz writes
        blob: Any = gzip.GzipFile(fileobj=feed)
    elif kind == "zstd":
        blob = zstandard.ZstdDecompressor().stream_reader(feed, read_across_frames=True)
    else:
        return feed
    return Feed(iter(partial(blob.read, tarfile.RECORDSIZE), b""))


def read(source: Any, on_layer: Callable[[Blob], Any] | None = None) -> Contents:
    """One pass over an image archive. `on_layer` is called with each layer member as the
    stream reaches it (None: layers are stepped over); what it returns is kept in ``layers``."""
    chunks, what, handle = _open(source)
    feed = Feed(chunks)
    found = Contents(what)
    try:
        for member in _tar.entries(feed):
            found.members.append((member[_tar.NAME], member[_tar.SIZE]))
            name, kind, size = _tar.norm(member[_tar.NAME]), member[_tar.TYPE], member[_tar.SIZE]
            if kind in (b"1", b"2"):
                base = "" if kind == b"1" else posixpath.dirname(name)
                found.aliases[name] = _tar.norm(posixpath.join(base, member[_tar.LINKNAME]))
                continue
            if kind not in _tar.REGULAR:
                continue
            layer = _sniff(feed.peek(min(size, 512)))
            if layer:
                if on_layer is not None:
                    feed.limit = feed.tell() + size
                    try:
                        found.layers[name] = on_layer(Blob(name, size, layer, _layer_feed(feed, layer)))
                    except READ_ERRORS as exc:
                        found.broken[name] = f"{layer} layer unreadable ({exc})"
                    finally:
                        feed.limit = None
            elif size <= JSON_LIMIT:
                text = feed.read(size)
                if len(text) < size:
                    raise _tar.ReadError(f"unexpected end of data in {name!r}")
                found.raw[name] = text
                try:
                    found.docs[name] = json.loads(text)
                except ValueError as exc:
                    found.corrupt[name] = str(exc)
    except READ_ERRORS as exc:
        if not found.members:
            raise ArchiveError(f"{what} is not an image archive: it is not a tar archive, no tar header at its "
                               f"start ({exc}). Pass the file written by `docker save IMAGE -o FILE`.") from exc
        raise ArchiveError(f"{what} ends early or is corrupt after {len(found.members)} tar entries ({exc}); "
                           "the archive is truncated. Save the image again.") from exc
    finally:
        if handle is not None:
            handle.close()
    return found


def members(source: Any) -> list[tuple[str, int]]:
    """(name, size) of each entry of an archive, in order: what `tar tvf` would list."""
    return read(source).members


def read_json(source: Any, name: str) -> Any:
    """The JSON document stored as `name` in an archive (``manifest.json``, ``index.json``, a blob)."""
    return read(source).doc(name)


def layer_headers(source: Any) -> pd.DataFrame:
    """The tar header of every entry of every layer, as written: an SDK ``Image`` or an archive.

    `dockerlab.layers.files()` reads what the entries *are*; this reads how they were *written*
    (raw mode with its file-type bits, mtime, owner names, the header's magic), which is what
    makes two layers with the same files have different digests. One row per entry; ``blob`` is
    the archive member that holds the layer, ``blob_size`` its size in bytes.
    """
    rows: list[dict] = []

    def headers(blob: Blob) -> None:
        feed = blob.feed
        head = feed.peek(512)
        if blob.size < 1024 or head[257:262] != b"ustar":
            return  # an empty layer
        magic, start, first = _MAGICS.get(head[257:265], repr(head[257:265])), feed.tell(), len(rows)
        for entry in _tar.entries(feed):
            mtime, uname, gname = _tar.owner(entry)
            rows.append({
                "blob": blob.name, "blob_size": blob.size, "compression": "none" if blob.kind == "tar" else blob.kind,
                "name": entry[_tar.NAME], "size": entry[_tar.SIZE], "mode": f"{entry[_tar.MODE]:#o}",
                "uid": entry[_tar.UID], "gid": entry[_tar.GID], "uname": uname, "gname": gname,
                "mtime": datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                "format": magic + (" + pax" if entry[_tar.PAX] else ""),
            })
        feed.skip(sys.maxsize)  # the end blocks and padding: the tar's whole length
        for row in rows[first:]:
            row["tar_size"] = feed.tell() - start

    found = read(source, headers)
    if found.broken:
        name, why = next(iter(found.broken.items()))
        raise ArchiveError(f"{found.what}: {name} is a {why}. Save or write the archive again.")
    return pd.DataFrame(rows, columns=["blob", "blob_size", "compression", "tar_size", "name", "size", "mode",
                                       "uid", "gid", "uname", "gname", "mtime", "format"])
