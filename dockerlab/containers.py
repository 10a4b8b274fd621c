"""Running a command in a tutorial image: no network, labelled, always removed."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import docker
from docker.errors import APIError, ImageNotFound as SDKImageNotFound

from . import naming
from .engine import connect
from .errors import DockerlabError, ImageNotFound

__all__ = ["RunResult", "run", "calculate"]


@dataclass(frozen=True)
class RunResult:
    """The outcome of one container run."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run(image: str, *args: str, stdin: str | None = None, entrypoint: str | list[str] | None = None,
        user: str | None = None, read_only: bool = False, cap_drop: list[str] | None = None,
        network: bool = False, timeout: int = 300, client: docker.DockerClient | None = None) -> RunResult:
    """Run `image` with `args` (and optional standard input); return its exit code and output."""
    client = client or connect()[0]
    try:
        container = client.containers.create(
            image, list(args) or None, entrypoint=entrypoint, user=user, read_only=read_only,
            cap_drop=cap_drop, network_disabled=not network, labels=naming.container_labels(),
            stdin_open=stdin is not None, detach=stdin is None,  # not detached: the SDK sets StdinOnce
        )
    except SDKImageNotFound:
        raise ImageNotFound(f"There is no image {image} on this engine. Build it first "
                            "(the lesson's build cell, or python -m dockerlab prepare).") from None
    except APIError as exc:
        raise DockerlabError(f"Could not create a container from {image}: {exc.explanation or exc}") from None
    try:
        if stdin is not None:
            sock = container.attach_socket(params={"stdin": 1, "stream": 1})
            container.start()
            raw = getattr(sock, "_sock", sock)
            raw.sendall(stdin.encode())
            raw.shutdown(socket.SHUT_WR)
            sock.close()
        else:
            try:
                container.start()
            except APIError as exc:  # e.g. the entrypoint does not exist in the image
                return RunResult(exit_code=127, stdout="", stderr=_first_line(exc.explanation or str(exc)))
        status = container.wait(timeout=timeout)
        return RunResult(
            exit_code=int(status.get("StatusCode", -1)),
            stdout=container.logs(stdout=True, stderr=False).decode(errors="replace"),
            stderr=container.logs(stdout=False, stderr=True).decode(errors="replace"),
        )
    finally:
        container.remove(force=True)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "the container did not start"


def calculate(image: str, expressions: list[str], *, command: str | None = None,
              client: docker.DockerClient | None = None):
    """Run the calculator in `image` once per expression; a DataFrame of what each printed.

    `command` is the calculator's path when the image's entrypoint is not the calculator
    (a build-stage image, say).
    """
    import pandas as pd

    client = client or connect()[0]
    rows = []
    for expression in expressions:
        result = run(image, expression, entrypoint=[command] if command else None, client=client)
        rows.append({"expression": expression, "exit code": result.exit_code,
                     "output": (result.stdout + result.stderr).rstrip("\n")})
    return pd.DataFrame(rows)
