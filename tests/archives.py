"""Image archives built by the tests: layer tars, ``docker save`` archives of both layouts, and
the header the engine's builder writes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import zstandard

MTIME = 1_700_000_000
STEPS = object()  # config_json's default history: one "RUN step i" per layer


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """A regular member `name` holding `data`."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), MTIME
    tar.addfile(info, io.BytesIO(data))


def write_tar(path: Path, members: dict[str, bytes]) -> Path:
    """A tar of regular members, in the order given."""
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            add(tar, name, data)
    return path


def read_members(path: Path) -> dict[str, bytes | None]:
    """Every member of a tar: its bytes, None for what is not a regular file."""
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() if m.isreg() else None for m in tar.getmembers()}


def tar_bytes(entries: list[tuple]) -> bytes:
    """A PAX layer tar of (kind, name[, content or link target]) entries; kind is dir, file,
    symlink or hardlink. A file may give its mode after its content (default 0644)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for kind, name, *extra in entries:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            data = None
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif kind == "file":
                data = extra[0] if extra else b""
                info.size, info.mode = len(data), extra[1] if len(extra) > 1 else 0o644
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, extra[0]
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, extra[0]
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def config_json(layers: list[bytes], order: list[int], history=STEPS, run: dict | None = None) -> bytes:
    """An image config naming the layers in `order`; `history` None leaves the history out; `run`
    is its ``config``, how to run the image (``User``, ``Env``)."""
    body: dict = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z", "config": run or {},
                  "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(layers[i])}" for i in order]}}
    if history is STEPS:
        history = [{"created": "2024-01-01T00:00:00Z", "created_by": f"RUN step {i}"} for i in order]
    if history is not None:
        body["history"] = history
    return json.dumps(body).encode()


def docker_archive(path: Path, layers: list[bytes], order: list[int] | None = None, *, history=STEPS,
                   run: dict | None = None, config: bool = True, manifest: bool = True,
                   symlink_dup: bool = False) -> Path:
    """docker save (engine <= 24): <id>/VERSION, <id>/json, <id>/layer.tar, the config, then
    manifest.json last. `order` lists the layers by index, base first (a layer may come twice);
    `symlink_dup` makes a repeated layer a second id whose layer.tar links to the first."""
    order = list(range(len(layers))) if order is None else order
    body = config_json(layers, order, history, run)
    refs, done = [], set()
    with tarfile.open(path, "w") as tar:
        for i in order:
            lid = sha(layers[i])
            if i in done and symlink_dup:
                alias = sha(lid.encode())
                info = tarfile.TarInfo(f"{alias}/layer.tar")
                info.type, info.linkname = tarfile.SYMTYPE, f"../{lid}/layer.tar"
                tar.addfile(info)
                refs.append(f"{alias}/layer.tar")
                continue
            if i not in done:
                add(tar, f"{lid}/VERSION", b"1.0")
                add(tar, f"{lid}/json", json.dumps({"id": lid}).encode())
                add(tar, f"{lid}/layer.tar", layers[i])
                done.add(i)
            refs.append(f"{lid}/layer.tar")
        if config:
            add(tar, f"{sha(body)}.json", body)
        if manifest:
            add(tar, "manifest.json", json.dumps(
                [{"Config": f"{sha(body)}.json", "RepoTags": ["lab:test"], "Layers": refs}]).encode())
    return path


def oci_archive(path: Path, layers: list[bytes], order: list[int], compress: list[str | None]) -> Path:
    """docker save (engine >= 25): blobs/sha256/<hex>, index.json, manifest.json, oci-layout;
    each layer stored as `compress` says (None, "gzip" or "zstd")."""
    packers = {None: lambda b: b, "gzip": lambda b: gzip.compress(b, mtime=0),
               "zstd": lambda b: zstandard.ZstdCompressor().compress(b)}
    blobs = [packers[c](layer) for layer, c in zip(layers, compress)]
    media = {None: "tar", "gzip": "tar+gzip", "zstd": "tar+zstd"}
    config = config_json(layers, order)
    oci_manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{sha(config)}", "size": len(config)},
        "layers": [{"mediaType": f"application/vnd.oci.image.layer.v1.{media[compress[i]]}",
                    "digest": f"sha256:{sha(blobs[i])}", "size": len(blobs[i])} for i in order],
    }).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": f"sha256:{sha(oci_manifest)}", "size": len(oci_manifest)}]}).encode()
    members = {f"blobs/sha256/{sha(blob)}": blob for blob in [*blobs, config, oci_manifest]}
    members.update({"index.json": index, "manifest.json": json.dumps([{
        "Config": f"blobs/sha256/{sha(config)}", "RepoTags": ["lab:test"],
        "Layers": [f"blobs/sha256/{sha(blobs[i])}" for i in order]}]).encode(),
        "oci-layout": b'{"imageLayoutVersion": "1.0.0"}'})
    return write_tar(path, members)


def go_style_layer(name: str, content: bytes, *, mtime: int) -> bytes:
    """One file as the engine's builder tars it (Go's archive/tar): mode with its file-type bits,
    owner names, the real mtime, and only the two zero blocks at the end (no 10 KiB record)."""
    def field(value: int, width: int) -> bytes:
        return b"%0*o" % (width - 1, value) + b"\0"

    header = bytearray(512)
    header[0:len(name)] = name.encode()
    header[100:108], header[108:116], header[116:124] = field(0o100755, 8), field(0, 8), field(0, 8)
    header[124:136], header[136:148] = field(len(content), 12), field(mtime, 12)
    header[148:156], header[156:157] = b" " * 8, b"0"
    header[257:265], header[265:269], header[297:301] = b"ustar\x0000", b"root", b"root"
    header[329:337], header[337:345] = field(0, 8), field(0, 8)
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header) + content + bytes(-len(content) % 512) + bytes(1024)


class SavedImage:
    """A stand-in for a docker SDK Image: `save()` streams the archive at `path`, `history()`
    gives `records` (newest first, as the engine does)."""

    id = "sha256:fake"  # not a content digest: files() keeps no table of it

    def __init__(self, path: Path, records: list[dict] | None = None) -> None:
        self.path, self.records = path, records or []

    def save(self, chunk_size: int = 2 << 20, named: bool = False):
        with self.path.open("rb") as fh:
            yield from iter(lambda: fh.read(chunk_size), b"")

    def history(self) -> list[dict]:
        return self.records
