"""Base images, offline first: local, then a pull, then a workshop kit, then a Debian bootstrap.

Dockerfiles name their base as ``ARG BASE=ubuntu:24.04`` before ``FROM``. `resolve` finds an
image that can stand there and says which source served it. Without a registry (a workshop on
bad wifi, a CI sandbox) it makes a Debian stand-in (`dockerlab.standin`), named and labelled as
Debian: it is never passed off as the image that was asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import docker
from docker.errors import APIError, DockerException

from . import standin
from .engine import connect, first_line, has_image
from .errors import BaseUnavailable, KitError
from .kit import KIT_DIR, KIT_ENV, find_kit, kit_load
from .progress import Reporter, reporter as default_reporter

__all__ = ["BaseImage", "resolve"]


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
    for ref in (name, standin.standin_name(name)):
        if ref is None or not has_image(client, ref):
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
                return None, f"pull: {first_line(event['error'])}"
            report.status(f"Pulling {name}: {event.get('status', '')} {event.get('progress', '')}".rstrip())
    except (APIError, DockerException, OSError) as exc:
        return None, f"pull: {first_line(getattr(exc, 'explanation', None) or exc)}"
    return _record(client, name, name, "pull", f"{name}: pulled from its registry."), ""


def _from_kit(client, name: str, *, kit=None, **_) -> tuple[BaseImage | None, str]:
    archives = find_kit(kit)
    if not archives:
        return None, f"kit: no kit archive (set {KIT_ENV}=FILE, or put one in {KIT_DIR})"
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
    try:
        ref = standin.bootstrap(client, name, report=report)
    except BaseUnavailable as exc:
        return None, str(exc)
    return _record(client, name, ref, "debootstrap",
                   f"{name}: not reachable here, so the Debian {standin.DEBIAN_SUITE} stand-in {ref} was built "
                   "from Debian's packages with debootstrap."), ""
