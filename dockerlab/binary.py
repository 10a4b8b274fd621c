"""Reading a file out of an image, and what an ELF header says about a binary."""

from __future__ import annotations

import io
import posixpath
import struct
import tarfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

import docker
from docker.errors import NotFound
from docker.models.containers import Container

from . import naming
from .engine import connect
from .errors import DockerlabError, ImageNotFound

__all__ = ["ElfFacts", "read_file", "read_files", "entrypoint_file", "entrypoint_size", "elf_facts"]

_MACHINES = {0x3E: "x86-64", 0xB7: "arm64", 0x03: "x86", 0x28: "arm", 0xF3: "riscv64", 0x16: "s390x", 0x15: "ppc64"}


@dataclass(frozen=True)
class ElfFacts:
    """What the ELF header and tables of a binary say."""

    size: int
    machine: str
    static: bool  # no program interpreter (dynamic loader) is named
    stripped: bool  # no symbol table (.symtab)


@contextmanager
def _stopped_container(client: docker.DockerClient, image: str) -> Iterator[Container]:
    """A container of `image` that is created, never started, and always removed: a way to
    read the image's files without running anything in it."""
    try:
        container = client.containers.create(image, labels=naming.container_labels(), network_disabled=True,
                                             entrypoint=["/nothing"])
    except docker.errors.ImageNotFound:
        raise ImageNotFound(f"There is no image {image} on this engine; build it first.") from None
    try:
        yield container
    finally:
        container.remove(force=True)


def _regular_file(container: Container, path: str) -> bytes | None:
    """The bytes at `path` in `container`, or None if it is not a regular file; NotFound if absent."""
    stream, _ = container.get_archive(path)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.next()
        return tar.extractfile(member).read() if member is not None and member.isfile() else None  # type: ignore[union-attr]


def read_file(image: str, path: str, *, client: docker.DockerClient | None = None) -> bytes:
    """The bytes of the file at `path` in `image`, without running anything in it."""
    client = client or connect()[0]
    with _stopped_container(client, image) as container:
        try:
            data = _regular_file(container, path)
        except NotFound:
            raise DockerlabError(f"There is no {path} in {image}.") from None
    if data is None:
        raise DockerlabError(f"{path} in {image} is not a regular file.")
    return data


def read_files(image: str, paths: Iterable[str], *, client: docker.DockerClient | None = None) -> dict[str, bytes]:
    """The bytes of each of `paths` that is a regular file in `image`, by path; the others are left out."""
    client = client or connect()[0]
    found: dict[str, bytes] = {}
    with _stopped_container(client, image) as container:
        for path in paths:
            try:
                data = _regular_file(container, path)
            except NotFound:
                continue
            if data is not None:
                found[path] = data
    return found


def entrypoint_file(image: str, *, client: docker.DockerClient | None = None) -> tuple[str, int] | None:
    """The path and size in bytes of the program `image` starts (its ENTRYPOINT's first word,
    symbolic links followed), or None if it names none by an absolute path or the file is not in
    the image."""
    client = client or connect()[0]
    try:
        entrypoint = client.images.get(image).attrs["Config"].get("Entrypoint") or []
    except docker.errors.ImageNotFound:
        raise ImageNotFound(f"There is no image {image} on this engine; build it first.") from None
    if not entrypoint or not entrypoint[0].startswith("/"):
        return None
    path = entrypoint[0]
    with _stopped_container(client, image) as container:
        for _ in range(8):  # follow symbolic links (a venv's bin/python), never forever
            try:
                stat = client.api.get_archive(container.id, path)[1]  # the stat header is enough
            except NotFound:
                return None
            target = stat.get("linkTarget") or ""
            if not target:
                return path, int(stat["size"])
            path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return None


def entrypoint_size(image: str, *, client: docker.DockerClient | None = None) -> int | None:
    """The size in bytes of the program `image` starts, or None (see `entrypoint_file`)."""
    found = entrypoint_file(image, client=client)
    return found[1] if found else None


def elf_facts(data: bytes) -> ElfFacts:
    """Read the ELF header, program headers and section headers of a 64- or 32-bit binary."""
    if data[:4] != b"\x7fELF":
        raise DockerlabError("That file is not an ELF binary (it does not start with 0x7f 'ELF').")
    is64, little = data[4] == 2, data[5] == 1
    end = "<" if little else ">"
    if is64:
        machine, = struct.unpack_from(end + "H", data, 18)
        phoff, shoff = struct.unpack_from(end + "QQ", data, 32)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(end + "HHHHH", data, 54)
    else:
        machine, = struct.unpack_from(end + "H", data, 18)
        phoff, shoff = struct.unpack_from(end + "II", data, 28)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(end + "HHHHH", data, 42)
    PT_INTERP, SHT_SYMTAB = 3, 2
    interp = any(struct.unpack_from(end + "I", data, phoff + i * phentsize)[0] == PT_INTERP for i in range(phnum))
    symtab = any(struct.unpack_from(end + "I", data, shoff + i * shentsize + 4)[0] == SHT_SYMTAB for i in range(shnum))
    return ElfFacts(size=len(data), machine=_MACHINES.get(machine, f"machine {machine:#x}"),
                    static=not interp, stripped=not symtab)
