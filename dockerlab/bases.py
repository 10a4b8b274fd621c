"""Base images, offline first: local, then a pull, then a workshop kit, then a Debian bootstrap.

Dockerfiles name their base as ``ARG BASE=ubuntu:24.04`` before ``FROM``. `resolve` finds an
image that can stand there and says which source served it. Without a registry (a workshop on
bad wifi, a CI sandbox) it builds a Debian base from Debian's packages with debootstrap, and
names and labels it as Debian: it is never passed off as the image that was asked for.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import docker
from docker.errors import APIError, DockerException, ImageNotFound as SDKImageNotFound

from . import naming
from .engine import connect
from .errors import BaseUnavailable, KitError
from .progress import Reporter, reporter as default_reporter

__all__ = ["BaseImage", "TUTORIAL_BASES", "resolve", "standin_name", "find_kit", "kit_save", "kit_load"]

TUTORIAL_BASES = ("ubuntu:24.04",)
"""The bases the tutorial's Dockerfiles name (besides ``scratch``, which needs no image)."""

DEBIAN_SUITE = "bookworm"
STANDIN_REPO = "dockerlab/debian"
"""Stand-ins are shared by every prefix: one bootstrap serves all learners on an engine."""
KIT_ENV = "DOCKERLAB_KIT"
_KIT_DIR = Path(__file__).resolve().parent.parent / "kit"


@dataclass(frozen=True)
class BaseImage:
    """An image that serves as a requested base, and where it came from."""

    requested: str  # what the Dockerfile names, e.g. "ubuntu:24.04"
    ref: str  # what builds use as BASE: the requested name or the Debian stand-in
    source: str  # "local", "pull", "kit" or "debootstrap"
    image_id: str
    size: int
    description: str  # one honest sentence for a learner

    @property
    def is_standin(self) -> bool:
        return self.ref != self.requested


def standin_name(requested: str) -> str | None:
    """The Debian image that can stand in for `requested`, or None when none can."""
    repo = requested.split("@")[0].rsplit(":", 1)[0].split("/")[-1]
    if repo not in ("ubuntu", "debian"):
        return None
    return f"{STANDIN_REPO}:{DEBIAN_SUITE}-minbase"


def resolve(name: str, *, client: docker.DockerClient | None = None, reporter: Reporter | None = None,
            pull_timeout: int = 30, kit: str | os.PathLike | None = None) -> BaseImage:
    """Find or make an image for base `name`; raise `BaseUnavailable` listing every attempt."""
    client = client or connect()[0]
    report = reporter or default_reporter()
    tried: list[str] = []
    try:
        found = _local(client, name)
        if found:
            return found
        tried.append(f"local: neither {name} nor a Debian stand-in is on this engine")
        for attempt in (_pull, _from_kit, _bootstrap):
            result, why = attempt(client, name, report=report, pull_timeout=pull_timeout, kit=kit)
            if result:
                return result
            tried.append(why)
    finally:
        report.done()
    raise BaseUnavailable(
        f"No image could serve as the base {name}. Tried, in order:\n  - " + "\n  - ".join(tried)
        + "\nConnect to the internet, or load a workshop kit (python -m dockerlab kit load FILE)."
    )


def _record(client, requested: str, ref: str, source: str, description: str) -> BaseImage:
    image = client.images.get(ref)
    return BaseImage(requested=requested, ref=ref, source=source, image_id=image.id,
                     size=int(image.attrs.get("Size", 0)), description=description)


def _local(client, name: str) -> BaseImage | None:
    for ref in (name, standin_name(name)):
        if ref is None:
            continue
        try:
            client.images.get(ref)
        except SDKImageNotFound:
            continue
        what = "already on this engine" if ref == name else f"the Debian stand-in {ref}, made earlier, already on this engine"
        return _record(client, name, ref, "local", f"{name}: {what}.")
    return None


def _pull(client, name: str, *, report: Reporter, pull_timeout: int, **_) -> tuple[BaseImage | None, str]:
    repo, _, tag = name.rpartition(":") if ":" in name.split("/")[-1] else (name, "", "latest")
    try:
        api = docker.from_env(timeout=pull_timeout).api  # same engine, a short read timeout
        for event in api.pull(repo, tag=tag, stream=True, decode=True):
            if "error" in event:
                return None, f"pull: {_first_line(event['error'])}"
            report.status(f"Pulling {name}: {event.get('status', '')} {event.get('progress', '')}".rstrip())
    except (APIError, DockerException, OSError) as exc:
        return None, f"pull: {_first_line(getattr(exc, 'explanation', None) or exc)}"
    return _record(client, name, name, "pull", f"{name}: pulled from its registry."), ""


def find_kit(kit: str | os.PathLike | None = None) -> list[Path]:
    """Kit archives to try: the one given, else $DOCKERLAB_KIT, else every *.tar in kit/."""
    if kit:
        return [Path(kit)]
    if os.environ.get(KIT_ENV):
        return [Path(os.environ[KIT_ENV])]
    return sorted(_KIT_DIR.glob("*.tar")) if _KIT_DIR.is_dir() else []


def _from_kit(client, name: str, *, kit=None, **_) -> tuple[BaseImage | None, str]:
    archives = find_kit(kit)
    if not archives:
        return None, f"kit: no kit archive (set {KIT_ENV}=FILE, or put one in {_KIT_DIR})"
    for archive in archives:
        try:
            kit_load(archive, client=client)
        except KitError as exc:
            return None, f"kit: {exc}"
        found = _local(client, name)
        if found:
            return BaseImage(**{**found.__dict__, "source": "kit",
                                "description": f"{name}: loaded from the workshop kit {archive}"
                                + ("" if not found.is_standin else f" (as the Debian stand-in {found.ref})") + "."}), ""
    return None, f"kit: {', '.join(map(str, archives))} holds neither {name} nor a Debian stand-in"


def _bootstrap(client, name: str, *, report: Reporter, **_) -> tuple[BaseImage | None, str]:
    ref = standin_name(name)
    if ref is None:
        return None, f"debootstrap: can only stand in for Debian or Ubuntu bases, not {name}"
    if platform.system() != "Linux" or os.geteuid() != 0:
        return None, "debootstrap: needs Linux and root (run python -m dockerlab prepare as root)"
    if not shutil.which("debootstrap"):
        return None, "debootstrap: not installed (sudo apt-get install debootstrap)"
    root = Path(tempfile.mkdtemp(prefix="dockerlab-rootfs-", dir="/var/tmp"))
    try:
        report.status(f"Bootstrapping Debian {DEBIAN_SUITE} (minbase) from Debian's packages ...")
        proc = subprocess.run(["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(root)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
            return None, "debootstrap: failed: " + " | ".join(tail)
        _dress_like_official_images(root)
        report.status(f"Importing the Debian root file system as {ref} ...")
        _import(client, root, ref, requested=name)
    except (APIError, DockerException, OSError) as exc:
        return None, f"debootstrap: import failed: {_first_line(exc)}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return _record(client, name, ref, "debootstrap",
                   f"{name}: not reachable here, so the Debian {DEBIAN_SUITE} stand-in {ref} was built "
                   "from Debian's packages with debootstrap."), ""


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
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
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


def kit_save(path: str | os.PathLike, *, client: docker.DockerClient | None = None,
             reporter: Reporter | None = None) -> list[str]:
    """Write every tutorial base (and image) on this engine into one archive; return the names."""
    client = client or connect()[0]
    names = [ref for b in TUTORIAL_BASES for ref in (b, standin_name(b)) if ref and _exists(client, ref)]
    names += sorted(t for image in client.images.list(filters=naming.label_filter()) for t in image.tags)
    if not names:
        raise KitError("There is nothing to put in a kit yet: run python -m dockerlab prepare first.")
    report = reporter or default_reporter()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        url = client.api._url("/images/get")  # the Engine API's multi-image save
        response = client.api._get(url, params={"names": names}, stream=True)
        client.api._raise_for_status(response)
        written = 0
        with open(partial, "wb") as out:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
                written += len(chunk)
                report.status(f"Saving {len(names)} images to {target}: {written / 1e6:.0f} MB")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise KitError(f"Could not write the kit {target}: {exc}. Free some disk space or choose another path.") from None
    except (APIError, DockerException) as exc:  # an image removed since it was listed, an engine that stopped
        partial.unlink(missing_ok=True)
        raise KitError(f"The engine could not save {', '.join(names)}: {_first_line(getattr(exc, 'explanation', None) or exc)}. "
                       "Run python -m dockerlab prepare, then save the kit again.") from None
    finally:
        report.done()
    return names


def kit_load(path: str | os.PathLike, *, client: docker.DockerClient | None = None) -> list[str]:
    """Load a kit archive into the engine; return the image names it held."""
    client = client or connect()[0]
    source = Path(path)
    if not source.is_file():
        raise KitError(f"No kit archive at {source}. Check the path, or ask your instructor for the kit file.")
    try:
        with open(source, "rb") as f:
            images = client.images.load(f)
    except (APIError, DockerException) as exc:
        raise KitError(f"{source} is not an image archive the engine can load: {_first_line(exc)}") from None
    return sorted(t for image in images for t in image.tags)


def _exists(client, name: str) -> bool:
    try:
        client.images.get(name)
        return True
    except SDKImageNotFound:
        return False


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
