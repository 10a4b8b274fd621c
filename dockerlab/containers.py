"""Containers of the tutorial's images: no network, labelled, always removed.

`run` runs a command; `processes` asks the engine which user a running container's process
is, and `passwd_name` looks a uid up in the image's own /etc/passwd. `read_file`,
`read_files` and `entrypoint_file` read files out of an image through a container that is
created and never started, so nothing in the image runs.
"""

from __future__ import annotations

import io
import posixpath
import socket
import tarfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docker
import pandas as pd
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from . import naming
from .engine import connect, first_line, get_image, image_required
from .errors import DockerlabError

__all__ = ["RunResult", "run", "calculate", "processes", "passwd_name", "read_file", "read_files", "entrypoint_file",
           "entrypoint_size"]


@dataclass(frozen=True)
class RunResult:
    """The outcome of one container run."""

    exit_code: int
    stdout: str
    stderr: str
    warnings: tuple[str, ...] = ()  # what the engine said when it created the container

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run(image: str, *args: str, stdin: str | None = None, entrypoint: str | list[str] | None = None,
        user: str | None = None, read_only: bool = False, cap_drop: list[str] | None = None,
        network: bool = False, timeout: int = 300, client: docker.DockerClient | None = None) -> RunResult:
    """Run `image` with `args` (and optional standard input); return its exit code, its output, and
    the engine's warnings at create (an image of another platform than the engine's, say)."""
    client = client or connect()[0]
    try:
        with image_required(image):
            # The low-level call, because the SDK's containers.create drops the engine's Warnings.
            created = client.api.create_container(
                image, list(args) or None, entrypoint=entrypoint, user=user, network_disabled=not network,
                labels=naming.container_labels(), host_config=client.api.create_host_config(
                    read_only=read_only, cap_drop=cap_drop),
                stdin_open=stdin is not None, detach=stdin is None,  # not detached: StdinOnce is set
            )
    except APIError as exc:
        raise DockerlabError(f"Could not create a container from {image}: {exc.explanation or exc}") from None
    warnings = tuple(created.get("Warnings") or ())
    try:
        container = client.containers.get(created["Id"])
        sock = container.attach_socket(params={"stdin": 1, "stream": 1}) if stdin is not None else None
        try:
            container.start()
        except APIError as exc:  # e.g. the entrypoint does not exist in the image
            # The container never ran, so it has no exit code; 127 is what `docker run` exits
            # with when the command cannot be found (125: the daemon failed, 126: not executable).
            if sock is not None:
                sock.close()
            return RunResult(exit_code=127, stdout="", stderr=first_line(exc.explanation or exc, limit=None),
                             warnings=warnings)
        if sock is not None:
            _send_and_close(sock, stdin)
        status = container.wait(timeout=timeout)
        stdout, stderr = _logs(container)
        return RunResult(exit_code=int(status.get("StatusCode", -1)), stdout=stdout, stderr=stderr,
                         warnings=warnings)
    finally:
        client.api.remove_container(created["Id"], force=True)


def _send_and_close(sock, text: str) -> None:
    """Write `text` to a container's attached standard input and close it (end of input)."""
    raw = getattr(sock, "_sock", sock)
    try:
        raw.sendall(text.encode())
        raw.shutdown(socket.SHUT_WR)
    except OSError:  # the program exited before reading it all: its exit status and output say why
        pass
    finally:
        sock.close()


def _logs(container, *, grace: float = 5.0) -> tuple[str, str]:
    """A stopped container's standard output and error. An engine may report the exit before its
    log copier has written the last lines (the likely cause of a CI failure on a loaded machine, on
    2026-12-01, where the hand-written calculator did not print 42; what it printed was cut from the
    report), so an empty log is read again for up to `grace` seconds."""
    deadline = time.monotonic() + grace
    while True:
        stdout = container.logs(stdout=True, stderr=False).decode(errors="replace")
        stderr = container.logs(stdout=False, stderr=True).decode(errors="replace")
        if stdout or stderr or time.monotonic() >= deadline:
            return stdout, stderr
        time.sleep(0.2)


def calculate(image: str, expressions: list[str], *, command: str | None = None,
              client: docker.DockerClient | None = None) -> pd.DataFrame:
    """Run the calculator in `image` once per expression; a DataFrame of what each printed.

    `command` is the calculator's path when the image's entrypoint is not the calculator
    (a build-stage image, say).
    """
    client = client or connect()[0]
    rows = []
    for expression in expressions:
        result = run(image, expression, entrypoint=[command] if command else None, client=client)
        rows.append({"expression": expression, "exit code": result.exit_code,
                     "output": (result.stdout + result.stderr).rstrip("\n")})
    return pd.DataFrame(rows)


def processes(image: str, *, read_only: bool = False, cap_drop: list[str] | None = None,
              client: docker.DockerClient | None = None) -> pd.DataFrame:
    """Start `image` (no network) with its standard input open, so that a program reading it waits,
    and ask the engine which processes run in it (``docker top``): columns uid, gid, command."""
    client = client or connect()[0]
    with image_required(image):
        container = client.containers.create(image, stdin_open=True, network_disabled=True, read_only=read_only,
                                             cap_drop=cap_drop, labels=naming.container_labels())
    try:
        container.start()
        # Until the program runs: for a moment the only process is runc's own, "runc:[2:INIT]", before
        # it becomes the entrypoint (seen in CI on a busy engine). Up to 30 s.
        for _ in range(300):
            top = container.top(ps_args="-o pid,uid,gid,comm")
            started = top.get("Processes") or []
            if started and not any(str(row[-1]).startswith("runc:") for row in started):
                break
            time.sleep(0.1)
        else:
            container.reload()
            raise DockerlabError(f"The container of {image} ran no process (its state: "
                                 f"{container.attrs['State']['Status']}); does its entrypoint wait for input?")
    except APIError as exc:
        raise DockerlabError(f"Could not start {image} or list its processes: {exc.explanation or exc}") from None
    finally:
        container.remove(force=True)
    frame = pd.DataFrame(top["Processes"], columns=[t.lower() for t in top["Titles"]])
    return frame.drop(columns="pid").rename(columns={"comm": "command"}).astype({"uid": "int64", "gid": "int64"})


def passwd_name(image: str, uid: int, *, client: docker.DockerClient | None = None) -> str | None:
    """The user name of `uid` in the image's own /etc/passwd; None when the file or the uid is absent."""
    client = client or connect()[0]
    text = read_files(get_image(client, image).id, ["/etc/passwd"], client=client).get("/etc/passwd")
    if text is None:
        return None
    for line in text.decode(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2] == str(uid):
            return fields[0]
    return None


@contextmanager
def _stopped_container(client: docker.DockerClient, image: str) -> Iterator[Container]:
    """A container of `image` that is created, never started, and always removed: a way to
    read the image's files without running anything in it."""
    with image_required(image):
        container = client.containers.create(image, labels=naming.container_labels(), network_disabled=True,
                                             entrypoint=["/nothing"])
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
    entrypoint = get_image(client, image).attrs["Config"].get("Entrypoint") or []
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
