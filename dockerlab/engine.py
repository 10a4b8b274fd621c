"""Connecting to the Docker engine, the facts about it that the lessons depend on, and
looking an image up on it (`get_image`, `has_image`, `image_required`)."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docker
from docker.errors import DockerException, ImageNotFound as SDKImageNotFound, NotFound

from .errors import EngineUnavailable, ImageNotFound

__all__ = ["EngineInfo", "connect", "image_store", "unavailable_message", "image_required", "get_image", "has_image",
           "first_line"]

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class EngineInfo:
    """What the tutorial needs to know about the engine it talks to."""

    server_version: str
    api_version: str
    os: str
    arch: str
    storage_driver: str
    has_bridge: bool
    build_network: str | None  # None: the engine's default; "host" when it has no bridge
    address: str
    image_store: str = "classic"  # "classic" (a graph driver such as overlay2) or "containerd"

    def describe(self) -> str:
        """One line for a learner: which engine, which image store, and how builds reach the network."""
        network = "the default bridge" if self.build_network is None else f"the {self.build_network} network"
        return (
            f"Docker engine {self.server_version} (API {self.api_version}) on {self.os}/{self.arch}, "
            f"{self.image_store} image store ({self.storage_driver}); builds use {network}."
        )

    def store_note(self) -> str:
        """What this engine's image store changes for the lessons, in one or two sentences."""
        if self.image_store == "containerd":
            return ("The containerd image store keeps each layer twice, compressed as a registry serves it "
                    "and unpacked for containers, so an image has three sizes; image ids are manifest "
                    "digests, and the engine loads OCI layouts.")
        return ("The classic image store keeps layers unpacked only: an image's size is its unpacked size, "
                "its id is its config's digest, and `docker load` needs a manifest.json.")


_connected: dict[tuple[str | None, int], tuple[docker.DockerClient, EngineInfo]] = {}


def connect(*, timeout: int = 300) -> tuple[docker.DockerClient, EngineInfo]:
    """Return a client and the engine's facts, or raise `EngineUnavailable` saying what to do.

    One client per process and address: a second call gives the same client back after a ping,
    and a new one when the engine (``DOCKER_HOST``) changed or stopped answering. `timeout`
    bounds each read from the engine (a missing engine fails at once): saving a large image on
    a busy engine can take tens of seconds before the first byte.
    """
    key = (os.environ.get("DOCKER_HOST"), timeout)
    if key in _connected:
        client, info = _connected[key]
        try:
            client.ping()
            return client, info
        except (DockerException, OSError):
            client.close()
            del _connected[key]
    _connected[key] = _connect(timeout)
    return _connected[key]


def _connect(timeout: int) -> tuple[docker.DockerClient, EngineInfo]:
    try:
        client = docker.from_env(timeout=timeout)
        version = client.version()
        info = client.info()
        networks = {n.name for n in client.networks.list()}
    except DockerException as exc:
        raise EngineUnavailable(unavailable_message(exc)) from None
    except OSError as exc:  # a socket that exists but refuses, a bad path
        raise EngineUnavailable(unavailable_message(exc)) from None
    has_bridge = "bridge" in networks
    return client, EngineInfo(
        server_version=str(version.get("Version", "?")),
        api_version=str(version.get("ApiVersion", "?")),
        os=str(version.get("Os", info.get("OSType", "?"))),
        arch=str(version.get("Arch", info.get("Architecture", "?"))),
        storage_driver=str(info.get("Driver", "?")),
        has_bridge=has_bridge,
        build_network=None if has_bridge else "host",
        address=client.api.base_url if not os.environ.get("DOCKER_HOST") else os.environ["DOCKER_HOST"],
        image_store=image_store(info),
    )


def image_store(info: dict) -> str:
    """``"containerd"`` when the engine keeps images in containerd (its driver is a snapshotter),
    else ``"classic"``: Docker Desktop and new Engine installs use the first, older engines the second."""
    status = {str(k): str(v) for k, v in (info.get("DriverStatus") or []) if isinstance(k, str)}
    return "containerd" if "snapshotter" in status.get("driver-type", "") else "classic"


def unavailable_message(cause: BaseException | str, *, system: str | None = None) -> str:
    """The message shown when no engine answers: what failed, where, and what to do on this platform."""
    system = system or platform.system()
    reason = _reason(cause)
    host = os.environ.get("DOCKER_HOST")
    if host:
        return (
            f"No Docker engine answers at DOCKER_HOST={host} ({reason}).\n"
            "Start the engine it points to, or unset DOCKER_HOST to use the default engine, "
            "then run this again."
        )
    if "permission denied" in reason.lower():
        return (
            f"The Docker engine's socket refuses this user ({reason}).\n"
            "Add yourself to the docker group (sudo usermod -aG docker $USER, then log in again), "
            "or run as root."
        )
    if system == "Linux":
        return (
            f"No Docker engine answers at {DEFAULT_SOCKET} ({reason}).\n"
            "Start one: sudo systemctl start docker\n"
            "or, on a host without systemd, from the tutorial's folder: sudo scripts/start-engine.sh\n"
            "Then run this again."
        )
    if system in ("Darwin", "Windows"):
        return (
            f"No Docker engine answers ({reason}).\n"
            "Start Docker Desktop and wait until it says it is running, then run this again."
        )
    return f"No Docker engine answers ({reason}). Start your Docker engine, then run this again."


def _reason(cause: BaseException | str) -> str:
    """The shortest true account of why the connection failed."""
    text = str(cause)
    for hint in ("No such file or directory", "Connection refused", "Permission denied",
                 "Name or service not known", "timed out"):
        if hint.lower() in text.lower():
            return hint.lower()
    return first_line(cause, limit=160)


def first_line(cause: object, *, limit: int | None = 200) -> str:
    """The first line of an error (or of any text), cut to `limit` characters; the error's
    type when it says nothing."""
    text = str(cause).strip()
    return text.splitlines()[0][:limit] if text else type(cause).__name__


@contextmanager
def image_required(image: str) -> Iterator[None]:
    """Turn the engine's "no such image" for `image`, inside the block, into `ImageNotFound`."""
    try:
        yield
    except SDKImageNotFound:
        raise ImageNotFound(f"There is no image {image} on this engine. Build it first "
                            "(the lesson's build cell, or python -m dockerlab prepare).") from None


def get_image(client: docker.DockerClient, image: str):
    """The SDK's Image for `image` (a name or id); `ImageNotFound` when the engine has none."""
    with image_required(image):
        return client.images.get(image)


def has_image(client: docker.DockerClient, image: str) -> bool:
    """Does the engine have `image` (a name or id)?"""
    try:
        client.images.get(image)
        return True
    except NotFound:
        return False
