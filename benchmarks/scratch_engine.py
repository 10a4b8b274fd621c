"""A second, throw-away Docker engine with fresh data, beside the machine's own.

    with scratch_engine(log=Path("output/bench/cold/dockerd.log")) as engine:
        env = {**os.environ, "DOCKER_HOST": engine.host}
        ...  # anything run with env talks to an empty engine

dockerd gets its own data root, exec root, pid file, socket and an empty config file, all in one
new temporary folder, and no bridge (like scripts/start-engine.sh). dockerd 20.10 then starts its
own containerd, with its state under that folder too (the machine's engine uses a containerd of
its own as well; there is no shared /run/containerd/containerd.sock), and a containerd namespace
of its own in case one appears. On leaving the block the engine is stopped, anything still
running from that folder is ended, mounts under it are undone, and the folder is deleted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NAMESPACE = "dockerlab-scratch"


@dataclass(frozen=True)
class ScratchEngine:
    """Where the scratch engine lives and answers."""

    host: str  # DOCKER_HOST value: unix:///tmp/dockerlab-scratch-.../docker.sock
    folder: Path  # data root, exec root, pid file and socket are all under it
    pid: int
    log: Path


def dockerd_command(folder: Path) -> list[str]:
    """The dockerd command line: every path under `folder`, no bridge, no iptables."""
    return ["dockerd", "--data-root", str(folder / "data"), "--exec-root", str(folder / "exec"),
            "--pidfile", str(folder / "docker.pid"), "--host", f"unix://{folder / 'docker.sock'}",
            "--config-file", str(folder / "daemon.json"),
            "--containerd-namespace", NAMESPACE, "--containerd-plugins-namespace", f"{NAMESPACE}-plugins",
            "--bridge=none", "--iptables=false", "--ip-masq=false"]


@contextmanager
def scratch_engine(*, log: Path, wait_s: float = 60, base: str | None = None) -> Iterator[ScratchEngine]:
    """Start a fresh dockerd (in a new folder under `base`, default the temp dir), yield it, always remove it."""
    import docker

    folder = Path(tempfile.mkdtemp(prefix="dockerlab-scratch-", dir=base))
    (folder / "daemon.json").write_text("{}\n")  # not /etc/docker/daemon.json: nothing of the machine's engine
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = None
    try:
        with log.open("w") as sink:
            proc = subprocess.Popen(dockerd_command(folder), stdout=sink, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        host = f"unix://{folder / 'docker.sock'}"
        deadline = time.monotonic() + wait_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the scratch dockerd exited {proc.returncode}: {_tail(log)}")
            try:
                docker.DockerClient(base_url=host, timeout=5).ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the scratch dockerd did not answer within {wait_s:.0f} s: {_tail(log)}") from None
                time.sleep(0.5)
        yield ScratchEngine(host=host, folder=folder, pid=proc.pid, log=log)
    finally:
        if proc is not None:
            _stop(proc)
        _end_leftovers(folder)
        for mountpoint in mounts_under(Path("/proc/self/mountinfo").read_text(), folder):
            subprocess.run(["umount", "-l", mountpoint], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(proc: subprocess.Popen, wait_s: float = 60) -> None:
    """SIGTERM (dockerd stops its containers and its containerd), then SIGKILL its process group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _end_leftovers(folder: Path) -> None:
    """Kill processes still naming `folder` on their command line (its containerd or shims)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"{folder}/" in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def mounts_under(mountinfo: str, folder: Path) -> list[str]:
    """Mount points at or under `folder` in /proc/self/mountinfo text, deepest first."""
    root = str(folder).rstrip("/")
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        point = _unescape(fields[4])
        if point == root or point.startswith(root + "/"):
            found.append(point)
    return sorted(set(found), key=lambda p: (-p.count("/"), p))


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (\\040 ...)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _tail(log: Path, lines: int = 8) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"
