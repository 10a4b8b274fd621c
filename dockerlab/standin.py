"""The Debian stand-in for an Ubuntu or Debian base, made where no registry answers.

`bootstrap` builds a Debian root file system from Debian's packages with debootstrap, gives it
the apt and dpkg settings of Docker's official images, and imports it into the engine, named
and labelled as Debian: it is never passed off as the image that was asked for.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import docker
from docker.errors import APIError, DockerException

from . import naming
from .engine import first_line
from .errors import BaseUnavailable
from .progress import Reporter

__all__ = ["DEBIAN_SUITE", "STANDIN_REPO", "standin_name", "bootstrap"]

DEBIAN_SUITE = "bookworm"
STANDIN_REPO = "dockerlab/debian"
"""Stand-ins are shared by every prefix: one bootstrap serves all learners on an engine."""


def standin_name(requested: str) -> str | None:
    """The Debian image that can stand in for `requested`, or None when none can."""
    repo = requested.split("@")[0].rsplit(":", 1)[0].split("/")[-1]
    if repo not in ("ubuntu", "debian"):
        return None
    return f"{STANDIN_REPO}:{DEBIAN_SUITE}-minbase"


def bootstrap(client: docker.DockerClient, requested: str, *, report: Reporter) -> str:
    """Make the stand-in for `requested` and return its name; `BaseUnavailable` says why not."""
    ref = standin_name(requested)
    if ref is None:
        raise BaseUnavailable(f"debootstrap: can only stand in for Debian or Ubuntu bases, not {requested}")
    if platform.system() != "Linux" or os.geteuid() != 0:
        raise BaseUnavailable("debootstrap: needs Linux and root (run python -m dockerlab prepare as root)")
    if not shutil.which("debootstrap"):
        raise BaseUnavailable("debootstrap: not installed (sudo apt-get install debootstrap)")
    root = Path(tempfile.mkdtemp(prefix="dockerlab-rootfs-", dir="/var/tmp"))
    try:
        report.status(f"Bootstrapping Debian {DEBIAN_SUITE} (minbase) from Debian's packages ...")
        proc = subprocess.run(["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(root)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
            raise BaseUnavailable("debootstrap: failed: " + " | ".join(tail))
        _dress_like_official_images(root)
        report.status(f"Importing the Debian root file system as {ref} ...")
        _import(client, root, ref, requested=requested)
    except (APIError, DockerException, OSError) as exc:
        raise BaseUnavailable(f"debootstrap: import failed: {first_line(exc)}") from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return ref


# The apt and dpkg settings that Docker's official Debian image carries (debuerreotype writes
# them; Ubuntu's images long carried the same), so that the stand-in behaves like it: downloaded
# .deb files are deleted after every install, no translations, and dpkg does not sync every file
# it unpacks (a container's layer is rebuilt, never repaired, after a crash).
_APT_SETTINGS = {
    "docker-clean": (
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
        '/var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
        '/var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'),
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}


_DPKG_SETTINGS = {"docker-apt-speedup": "force-unsafe-io\n"}


def _dress_like_official_images(root: Path) -> None:
    """Empty apt's caches and lists, and add the official image's apt and dpkg settings."""
    for leftovers in ("var/cache/apt/archives", "var/cache/apt", "var/lib/apt/lists"):
        for path in (root / leftovers).glob("*"):
            if path.is_file():
                path.unlink()
    for folder, settings in (("etc/apt/apt.conf.d", _APT_SETTINGS), ("etc/dpkg/dpkg.cfg.d", _DPKG_SETTINGS)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, text in settings.items():
            (root / folder / name).write_text(text)


def _import(client, root: Path, ref: str, *, requested: str) -> None:
    repo, _, tag = ref.rpartition(":")
    labels = {**naming.labels("base", stands_in_for=requested, made_by="debootstrap", os=f"debian:{DEBIAN_SUITE}"),
              naming.LABEL: "shared"}
    changes = [f"LABEL {k}={json.dumps(v)}" for k, v in labels.items()]
    changes += [f'LABEL org.opencontainers.image.title="Debian {DEBIAN_SUITE} (minbase, debootstrap)"',
                'CMD ["bash"]', "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    # In name order: without --sort the entries follow the file system's directory order, which
    # differs between machines, and lesson 04 shows the first entries of this layer.
    tar = subprocess.Popen(["tar", "--sort=name", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    try:
        out = client.api.import_image_from_stream(_chunks(tar.stdout), repository=repo, tag=tag, changes=changes)
    finally:
        tar.stdout.close()
        tar.wait()
    if tar.returncode != 0 or '"error"' in str(out):
        raise OSError(f"import of {root} as {ref} failed: {str(out)[:200]}")


def _chunks(stream, size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk
