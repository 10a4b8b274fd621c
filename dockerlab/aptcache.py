"""The workshop's package cache: the Debian packages the Dockerfiles install, kept and served
by Debian's `apt-cacher-ng`, so that a room builds with no network.

An instructor fills the cache where the network is good (`kit save` does it), and serves it in
the room with ``python -m dockerlab kit serve`` (offline: it answers from the cache only). Each
learner sets one variable, ``DOCKERLAB_APT_PROXY=http://HOST:3142``; `build` then hands it to
apt in every build step as the standard ``http_proxy`` build argument. Docker's proxy arguments
are predefined: they stay out of the image's history. They are still part of the legacy
builder's cache: measured on Docker 20.10, a build with ``http_proxy`` set missed the cache of
the same build without it, and hit its own. So the setting is made once, before the first
build, and kept; the first build of each install step then takes its packages from the kit.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .dockerfiles import DOCKERFILES, ROOT
from .errors import KitError

__all__ = ["PROXY_ENV", "CACHE_ENV", "PORT", "proxy", "build_args", "source_line", "cache_dir", "packages",
           "serving", "pack", "unpack"]

PROXY_ENV = "DOCKERLAB_APT_PROXY"
CACHE_ENV = "DOCKERLAB_APT_CACHE"
PORT = 3142  # apt-cacher-ng's own port
PROGRAM = "apt-cacher-ng"
_INSTALL = re.compile(r"apt-get install\s+((?:[^&;|\\\n]|\\\n)*)")


def proxy() -> str | None:
    """The apt proxy builds go through ($DOCKERLAB_APT_PROXY), or None for the distribution's mirror."""
    return os.environ.get(PROXY_ENV) or None


def build_args() -> dict[str, str]:
    """The build arguments that send apt through the proxy (none without one)."""
    url = proxy()
    return {"http_proxy": url, "HTTP_PROXY": url} if url else {}


def source_line() -> str:
    """Where the builds' packages come from, in a sentence a lesson can print."""
    url = proxy()
    return (f"Packages come from the apt proxy at {url} ({PROXY_ENV}), a workshop kit's cache."
            if url else f"Packages come from the distribution's mirror ({PROXY_ENV} is not set).")


def cache_dir() -> Path:
    """Where the package cache lives: $DOCKERLAB_APT_CACHE, else kit/apt-cache/ in the checkout."""
    return Path(os.environ.get(CACHE_ENV) or ROOT / "kit" / "apt-cache")


def packages(folder: Path = DOCKERFILES) -> list[str]:
    """Every package an ``apt-get install`` line of the Dockerfiles under `folder` names."""
    found: set[str] = set()
    for path in sorted(folder.glob("*/Dockerfile")):
        for words in _INSTALL.findall(path.read_text()):
            found.update(w for w in words.replace("\\\n", " ").split() if not w.startswith("-"))
    return sorted(found)


def _free_port() -> int:
    """A free port below 32768: apt-cacher-ng 3.7.4 cannot bind a higher one ("Error resolving
    address for binding", measured here: 32767 served, 32768 did not), and the kernel's own
    choice of a free port is usually higher."""
    for port in random.sample(range(20000, 32768), 50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise KitError("Found no free port for apt-cacher-ng between 20000 and 32767.")


@contextmanager
def serving(cache: Path | None = None, *, offline: bool = True, bind: str = "127.0.0.1",
            port: int | None = None) -> Iterator[str]:
    """Run apt-cacher-ng over `cache` for the ``with`` block; yield its URL.

    Its own empty configuration directory means no remapping of mirrors: a request for
    deb.debian.org goes to (and is kept under) deb.debian.org. The distribution's default
    configuration remaps Debian to ftp.debian.org, which a machine may not resolve (seen here).
    """
    program = shutil.which(PROGRAM, path=f"{os.environ.get('PATH', '')}:/usr/sbin")  # sbin: not on a user's PATH
    if not program:
        raise KitError("apt-cacher-ng is not installed: install it (sudo apt-get install apt-cacher-ng on Debian "
                       "or Ubuntu) on the machine that serves the packages.")
    cache = Path(cache or cache_dir())
    state = cache.parent / f".{cache.name}-state"
    for folder in (cache, state / "conf", state / "log"):
        folder.mkdir(parents=True, exist_ok=True)
    (state / "conf" / "acng.conf").touch()
    port = port or _free_port()
    command = [program, "-c", str(state / "conf"), "ForeGround=1", f"CacheDir={cache}", f"LogDir={state / 'log'}",
               f"Port={port}", f"BindAddress={bind}", f"PidFile={state / 'pid'}", f"SocketPath={state / 'socket'}",
               f"Offlinemode={int(offline)}"]
    log = open(state / "log" / "server.log", "ab")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(server, bind, port, state)
        yield f"http://{bind}:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait_for(server: subprocess.Popen, host: str, port: int, state: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise KitError(f"apt-cacher-ng stopped at once (exit {server.returncode}); "
                           f"its log is {state / 'log' / 'server.log'}. Is port {port} in use?")
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise KitError(f"apt-cacher-ng did not answer on {host}:{port} in {timeout:.0f} s.")


def pack(cache: Path, archive: Path) -> int:
    """Write the package cache into `archive` (a plain tar: the packages are compressed already);
    return its size in bytes."""
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        tar.add(cache, arcname="apt-cache")
    partial.replace(archive)
    return archive.stat().st_size


def unpack(archive: Path, cache: Path | None = None) -> int:
    """Put a kit's package cache in place of `cache`; return how many files it holds."""
    cache = Path(cache or cache_dir())
    try:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name == "apt-cache" or m.name.startswith("apt-cache/")]
            if not members:
                raise KitError(f"{archive} holds no package cache (no apt-cache/ in it).")
            staging = cache.with_name(cache.name + ".loading")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            tar.extractall(staging, members=members, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise KitError(f"Could not read the package cache {archive}: {exc}") from None
    shutil.rmtree(cache, ignore_errors=True)
    (staging / "apt-cache").replace(cache)
    shutil.rmtree(staging, ignore_errors=True)
    return sum(1 for p in cache.rglob("*") if p.is_file())
