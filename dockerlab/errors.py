"""The one exception tree of dockerlab.

Every message says what failed, the value involved, and what to do next::

    DockerlabError
    ├── EngineUnavailable      no Docker engine answers
    ├── BaseUnavailable        no way to obtain a base image (lists every attempt)
    ├── BuildFailed            a build step failed (names the step, carries the log tail)
    ├── ImageNotFound          an image name or archive path that does not exist
    ├── ArchiveError           an image archive that cannot be read (missing parts, corrupt, truncated)
    ├── ImageSpecError         oci.write_image was given something an image cannot hold
    ├── OCILayoutUnsupported   an OCI layout without manifest.json, and an engine that reads only that
    ├── LoadFailed             the engine refused an archive (its reason is quoted)
    ├── KitError               a workshop kit that cannot be saved or loaded
    ├── UsageError             an argument out of its range (also a ValueError)
    ├── ElfError               a file that is not ELF, or one cut short
    └── WireFormatError        a protobuf message cut short or malformed (BuildKit's progress)
"""

from __future__ import annotations

__all__ = [
    "DockerlabError",
    "EngineUnavailable",
    "BaseUnavailable",
    "BuildFailed",
    "ImageNotFound",
    "ArchiveError",
    "ImageSpecError",
    "OCILayoutUnsupported",
    "LoadFailed",
    "KitError",
    "UsageError",
    "ElfError",
    "WireFormatError",
]


class DockerlabError(Exception):
    """Base of every error dockerlab raises on purpose; its message is meant for a learner."""


class EngineUnavailable(DockerlabError):
    """No Docker engine answers at the address the client would use."""


class BaseUnavailable(DockerlabError):
    """No source (local, pull, kit, debootstrap) could provide a base image."""


class BuildFailed(DockerlabError):
    """A build failed; `step` names the failing step and `log_tail` holds the last lines."""

    def __init__(self, message: str, *, step: str | None = None, log_tail: str = "") -> None:
        super().__init__(message)
        self.step = step
        self.log_tail = log_tail


class ImageNotFound(DockerlabError):
    """An image name (or archive path) that the engine (or the disk) does not have."""


class ArchiveError(DockerlabError):
    """An image archive whose contents cannot be read as a docker or OCI image."""


class ImageSpecError(DockerlabError):
    """`oci.write_image` was given files, an entrypoint, a tag or a layout that cannot make an image."""


class OCILayoutUnsupported(DockerlabError):
    """The engine refused an OCI image layout that has no compatibility manifest.json."""


class LoadFailed(DockerlabError):
    """The engine refused to load an archive; the message quotes its reason."""


class KitError(DockerlabError):
    """A workshop kit archive that cannot be written or loaded."""


class UsageError(DockerlabError, ValueError):
    """An argument outside what the function takes (a ratio above 1, a depth of 0, no data)."""


class ElfError(DockerlabError):
    """A file that `elf.elf_facts` cannot read: not ELF, cut short, or of an unknown class or byte order."""


class WireFormatError(DockerlabError):
    """Bytes that `protowire.decode` cannot read as the message they should be: cut short, or malformed."""
