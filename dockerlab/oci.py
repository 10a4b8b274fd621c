"""Writing an image archive by hand (one layer, one config, no Dockerfile, no builder), and loading it.

An image is three kinds of documents, tied together by sha256 digests: a **layer** (a tar of
files; here one, uncompressed, so its digest is its diff_id), a **config** (JSON: the platform,
how to run, the layers' diff_ids, a history), and an index of them, in one of two layouts:

- ``"docker"`` (docker-archive, what ``docker save`` writes up to engine 24): ``manifest.json``,
  ``<config hex>.json``, ``<layer hex>/layer.tar``;
- ``"oci"`` (OCI image layout, ``docker save`` from engine 25): ``oci-layout``, ``index.json``,
  ``blobs/sha256/<hex>`` for the manifest, config and layer, plus (unless
  ``docker_manifest=False``) the compatibility ``manifest.json`` Docker 25+ writes for older tools.

Everything is written deterministically (mtime 0, uid/gid 0, sorted entries, USTAR headers,
canonical JSON): the same inputs give the same bytes, and so the same digests, every time.

``load()`` hands an archive to the engine through the SDK. Engines on the classic image store
read only ``manifest.json``; an OCI layout without it that the engine refuses raises
`OCILayoutUnsupported`, which says so instead of the engine's "open .../blobs/json: no such
file or directory". The errors live in `dockerlab.errors`; reading an archive back (`members`,
`read_json`, `layer_headers`) is `dockerlab.archive`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import posixpath
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from . import archive, naming
from .errors import ArchiveError, DockerlabError, ImageSpecError, LoadFailed, OCILayoutUnsupported

__all__ = [
    "ImageManifest", "ImageSpecError", "OCILayoutUnsupported", "LoadFailed",
    "MEDIA_MANIFEST", "MEDIA_CONFIG", "MEDIA_LAYER", "MEDIA_INDEX",
    "write_image", "layer_tar", "load", "engine_loads_oci",
    "saved_config_digest", "full_name",
]

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar"
EPOCH = "1970-01-01T00:00:00Z"  # the reproducible-builds convention (SOURCE_DATE_EPOCH=0)
CREATED_BY = "dockerlab.oci.write_image: no Dockerfile, no builder"

_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
           "i386": "386", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
_TAG = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class ImageManifest:
    """What `write_image` wrote: the digests and sizes that name each part of the image.

    Digests are ``sha256:<hex>``. The layer is stored uncompressed, so ``layer_digest`` (the
    blob's name) equals ``diff_id`` (the digest of the uncompressed tar, which the config lists).
    The classic image store names an image by its config's digest (the id after a load is
    ``config_digest``); the containerd store by its manifest's (``manifest_digest`` for an OCI
    layout; for a docker-archive, a manifest the engine writes as it loads).
    """

    tag: str
    layout: str
    architecture: str
    config_digest: str
    config_size: int
    layer_digest: str
    layer_size: int
    diff_id: str
    manifest_digest: str | None  # the OCI manifest (layout "oci" only)
    manifest_size: int | None
    archive_digest: str  # sha256 of the whole archive file
    archive_size: int


# --- inputs -----------------------------------------------------------------------------

def _entries(files: dict[str, Any]) -> list[tuple[str, bytes, int]]:
    """(path in the tar, content, mode), parents before children, checked."""
    if not isinstance(files, dict) or not files:
        raise ImageSpecError("An image needs at least one file: pass files={'/calc': (binary, 0o755)}.")
    out: dict[str, tuple[bytes, int]] = {}
    for path, value in files.items():
        content, mode = value if isinstance(value, tuple) else (value, 0o644)
        if not isinstance(content, (bytes, bytearray)):
            raise ImageSpecError(f"The content of {path!r} is a {type(content).__name__}, not bytes. "
                                 "Read binaries with open(..., 'rb') or dockerlab.containers.read_file().")
        if not isinstance(mode, int) or not 0 <= mode <= 0o7777:
            raise ImageSpecError(f"The mode of {path!r} is {mode!r}; give permission bits such as 0o755.")
        name = posixpath.normpath("/" + str(path)).lstrip("/") if isinstance(path, str) else ""
        if not name or ".." in str(path).split("/") or name in out:
            raise ImageSpecError(f"{path!r} cannot be a file of the image: give each file once, as an "
                                 "absolute path inside the image such as '/calc' (no '..').")
        out[name] = (bytes(content), mode)
    return [(name, *out[name]) for name in sorted(out)]


def _check_tag(tag: str) -> str:
    if not isinstance(tag, str) or not tag:
        raise ImageSpecError("Give the image a tag: tag=dockerlab.naming.image_name('by-hand').")
    if ":" not in tag.rsplit("/", 1)[-1]:
        tag += ":latest"
    if not _TAG.match(tag):
        raise ImageSpecError(f"{tag!r} is not a valid image name: lower-case letters, digits, '.', '_', '-' "
                             "and '/', then ':tag'. For example dockerlab.naming.image_name('by-hand').")
    if not tag.startswith(naming.prefix()):
        raise ImageSpecError(
            f"{tag!r} is not under the tutorial's prefix {naming.prefix()!r}. Loading it would take that "
            f"name from whatever image has it now; use dockerlab.naming.image_name('by-hand') "
            f"({naming.image_name('by-hand')!r}).")
    return tag


def _architecture(architecture: str | None) -> str:
    if architecture:
        return _GOARCH.get(architecture, architecture)
    machine = platform.machine().lower()
    return _GOARCH.get(machine, machine or "amd64")


# --- the bytes --------------------------------------------------------------------------

def full_name(tag: str) -> str:
    """``dockerlab/by-hand:latest`` -> ``docker.io/dockerlab/by-hand:latest``: the fully qualified
    name that ``docker save`` writes into ``io.containerd.image.name``. The containerd image store
    keeps the annotation as it is; given a short name, Docker 26.1 listed the image but could not
    find it by that name (seen here: ``docker images`` showed it twice, ``inspect`` said "No such image")."""
    first, _, rest = tag.partition("/")
    if not rest:
        return f"docker.io/library/{tag}"
    if "." in first or ":" in first or first == "localhost":
        return tag
    return f"docker.io/{tag}"


def _canonical(doc: Any) -> bytes:
    """JSON with sorted keys and no spaces: the same document always gives the same digest."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _tar(entries: list[tuple[str, bytes | None, int]]) -> bytes:
    """A USTAR tar of (name, content or None for a directory, mode), in the order given, mtime 0, owner 0:0."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content, mode in entries:
            info = tarfile.TarInfo(name if content is not None else name + "/")
            info.type = tarfile.REGTYPE if content is not None else tarfile.DIRTYPE
            info.size, info.mode = len(content or b""), mode
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            tar.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()


def layer_tar(files: dict[str, Any]) -> bytes:
    """The layer: every file (and each parent directory, mode 0755), sorted, mtime 0, owner 0:0."""
    entries: list[tuple[str, bytes | None, int]] = []
    dirs: set[str] = set()
    for name, content, mode in _entries(files):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            if parent not in dirs:
                dirs.add(parent)
                entries.append((parent, None, 0o755))
        entries.append((name, content, mode))
    return _tar(sorted(entries, key=lambda e: e[0]))


def _config(*, architecture: str, entrypoint: list[str], user: str | None, env: list[str] | None,
            labels: dict[str, str], diff_id: str) -> dict:
    run: dict[str, Any] = {"Entrypoint": list(entrypoint), "Labels": labels}
    if user is not None:
        run["User"] = str(user)
    if env:
        run["Env"] = list(env)
    return {"architecture": architecture, "os": "linux", "created": EPOCH, "config": run,
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": EPOCH, "created_by": CREATED_BY}]}


def write_image(path_or_fileobj: str | os.PathLike | BinaryIO, *, files: dict[str, bytes | tuple[bytes, int]],
                entrypoint: list[str], tag: str, user: str | None = None, env: list[str] | None = None,
                labels: dict[str, str] | None = None, architecture: str | None = None,
                layout: Literal["docker", "oci"] = "docker", docker_manifest: bool = True) -> ImageManifest:
    """Write a one-layer image archive that ``docker load`` (or `load`) accepts; return its digests.

    `files` maps a path in the image to its bytes, or to ``(bytes, mode)`` (default mode 0644;
    a program needs 0o755). The tutorial's labels (``naming.labels("lesson", variant="by-hand")``)
    are always in the config, so that ``python -m dockerlab clean`` finds the image; `labels`
    adds to them. `architecture` defaults to this machine's (as Go names it: amd64, arm64);
    pass the engine's (``EngineInfo.arch``) when they differ. With ``layout="oci"``,
    ``docker_manifest=False`` leaves out the compatibility ``manifest.json``: a layout that only
    OCI tools and engines 25+ can read.
    """
    if layout not in ("docker", "oci"):
        raise ImageSpecError(f"layout={layout!r}: choose 'docker' (docker-archive, any engine) or "
                             "'oci' (OCI image layout, engines 25+).")
    if (not isinstance(entrypoint, (list, tuple)) or not entrypoint
            or not all(isinstance(a, str) and a for a in entrypoint)):
        raise ImageSpecError(f"entrypoint={entrypoint!r}: give a list of strings, the program first, "
                             "for example ['/calc'].")
    if env is not None and not all(isinstance(e, str) and "=" in e for e in env):
        raise ImageSpecError(f"env={env!r}: give a list of 'NAME=value' strings.")
    tag = _check_tag(tag)
    all_labels = {**naming.labels("lesson", variant="by-hand"), **{str(k): str(v) for k, v in (labels or {}).items()}}
    arch = _architecture(architecture)

    layer = layer_tar(files)
    diff_id = _digest(layer)
    config = _canonical(_config(architecture=arch, entrypoint=entrypoint, user=user, env=env,
                                labels=all_labels, diff_id=diff_id))
    config_digest = _digest(config)
    layer_hex, config_hex = diff_id.split(":")[1], config_digest.split(":")[1]
    manifest_digest = manifest_size = None

    if layout == "docker":
        compat = _canonical([{"Config": f"{config_hex}.json", "Layers": [f"{layer_hex}/layer.tar"],
                               "RepoTags": [tag]}])
        entries = [(f"{config_hex}.json", config, 0o644), (layer_hex, None, 0o755),
                   (f"{layer_hex}/layer.tar", layer, 0o644), ("manifest.json", compat, 0o644)]
    else:
        manifest = _canonical({
            "schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
            "config": {"mediaType": MEDIA_CONFIG, "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": MEDIA_LAYER, "digest": diff_id, "size": len(layer)}]})
        manifest_digest, manifest_size = _digest(manifest), len(manifest)
        short = tag.rpartition(":")[2]
        index = _canonical({
            "schemaVersion": 2, "mediaType": MEDIA_INDEX,
            "manifests": [{"mediaType": MEDIA_MANIFEST, "digest": manifest_digest, "size": manifest_size,
                           "annotations": {"io.containerd.image.name": full_name(tag),
                                           "org.opencontainers.image.ref.name": short}}]})
        compat = _canonical([{"Config": f"blobs/sha256/{config_hex}",
                               "Layers": [f"blobs/sha256/{layer_hex}"], "RepoTags": [tag]}])
        blobs = {config_hex: config, layer_hex: layer, manifest_digest.split(":")[1]: manifest}
        entries = [("blobs", None, 0o755), ("blobs/sha256", None, 0o755),
                   *((f"blobs/sha256/{h}", blobs[h], 0o644) for h in sorted(blobs)),
                   ("index.json", index, 0o644),
                   ("oci-layout", _canonical({"imageLayoutVersion": "1.0.0"}), 0o644)]
        if docker_manifest:
            entries.append(("manifest.json", compat, 0o644))
    data = _tar(sorted(entries, key=lambda e: e[0]))

    if hasattr(path_or_fileobj, "write"):
        path_or_fileobj.write(data)  # type: ignore[union-attr]
    else:
        try:
            Path(path_or_fileobj).write_bytes(data)
        except OSError as exc:
            raise DockerlabError(f"Could not write the archive to {str(path_or_fileobj)!r} ({exc.strerror}). "
                                 "Create its folder first, or pick a path you can write to.") from None
    return ImageManifest(tag=tag, layout=layout, architecture=arch,
                         config_digest=config_digest, config_size=len(config),
                         layer_digest=diff_id, layer_size=len(layer), diff_id=diff_id,
                         manifest_digest=manifest_digest, manifest_size=manifest_size,
                         archive_digest=_digest(data), archive_size=len(data))


# --- loading ----------------------------------------------------------------------------

def engine_loads_oci(engine: Any) -> bool:
    """Does this engine load an OCI image layout that has no ``manifest.json``?

    It depends on the image store, not the version: the containerd store keeps images as OCI
    content and loads a layout as it is; the classic store reads only ``manifest.json`` (seen on
    Docker 20.10 and on 26.1 with overlay2). `engine` is an `EngineInfo`; lesson 07 checks the
    engine's own answer against this.
    """
    return getattr(engine, "image_store", "classic") == "containerd"


def saved_config_digest(image: Any) -> str:
    """The digest of the config an engine gives back for `image` (an SDK Image) in `docker save`:
    the config it keeps, whatever its image store names the image by."""
    found = archive.read(image)
    config = found.config_name(found.manifest())
    if config not in found.raw:
        raise ArchiveError(f"The engine's save of {image.id} has no config {config!r}; save it again with `docker save`.")
    return _digest(found.raw[config])


def load(path: str | os.PathLike, *, client: Any = None) -> list[str]:
    """Load an archive into the engine through the SDK (``client.images.load``); the tags it made.

    The engine decides what it can load: an OCI layout without the compatibility
    ``manifest.json`` that it refuses raises `OCILayoutUnsupported`, quoting its answer.
    """
    if client is None:
        from .engine import connect

        client = connect()[0]
    names = {name for name, _ in archive.members(path)}
    oci_only = "manifest.json" not in names and ("oci-layout" in names or "index.json" in names)
    if "manifest.json" not in names and not oci_only:
        raise ArchiveError(f"{str(path)!r} has neither manifest.json nor index.json: it is not an image "
                           "archive. Write one with write_image().")
    import docker.errors

    try:
        with open(path, "rb") as stream:
            images = client.images.load(stream)
    except (docker.errors.APIError, docker.errors.ImageLoadError) as exc:
        reason = re.sub(r"docker-import-\d+", "docker-import-…", getattr(exc, "explanation", None) or str(exc))
        if oci_only:
            raise OCILayoutUnsupported(
                f"This engine does not load {Path(path).name}, an OCI image layout without manifest.json. "
                f"Its answer: {reason}. Engines on the classic image store read only manifest.json: write "
                "the archive again with docker_manifest=True (or layout='docker').") from None
        raise LoadFailed(f"The engine refused {Path(path).name}: {reason}. "
                         "Write the archive again with write_image() and check its files.") from None
    return [t for image in images for t in (image.tags or [image.id])]
