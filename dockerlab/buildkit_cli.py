"""BuildKit through the docker CLI, for the builds that need a session.

The engine API's BuildKit route (`dockerlab.buildkit.build_v2`) has no session: it cannot send
secrets, and on the containerd image store it cannot send the context at all (moby/moby#47717).
The CLI opens a session (gRPC over the engine's ``/session`` endpoint) and sends both through it.
Two CLIs can: ``docker buildx build --load`` (any CLI with the buildx plugin), and a CLI older
than 23.0 with ``DOCKER_BUILDKIT=1 docker build`` (Debian 12's 20.10 has a built-in session).

`find_cli` picks the first that works; `build_cli` runs it with ``--progress=plain`` (buildx 0.13
has no ``rawjson``) and reads that log into the same `buildkit_trace.Step` records, timing each
step by when its lines arrive (its end) and the ``DONE 1.2s`` BuildKit prints (its start).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from .buildkit_trace import Step
from .errors import DockerlabError
from .progress import Reporter

__all__ = ["Cli", "find_cli", "cli_command", "PlainLog", "build_cli"]

ROUTE_BUILDX = "docker buildx build (CLI, with a session)"
ROUTE_CLASSIC = "docker build with DOCKER_BUILDKIT=1 (CLI before 23.0, with a session)"
_VERSION = re.compile(r"Docker version (\d+)\.(\d+)")


@dataclass(frozen=True)
class Cli:
    """A docker CLI that can run a BuildKit build with a session."""

    path: str
    buildx: bool  # True: ``docker buildx build``; False: ``DOCKER_BUILDKIT=1 docker build``
    version: str  # what ``docker buildx version`` or ``docker --version`` says

    @property
    def route(self) -> str:
        return ROUTE_BUILDX if self.buildx else ROUTE_CLASSIC


def _candidates() -> list[str]:
    found = []
    for folder in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/local/bin", "/usr/bin"]:
        path = os.path.join(folder, "docker")
        if os.access(path, os.X_OK) and os.path.realpath(path) not in map(os.path.realpath, found):
            found.append(path)
    return found


def _answer(args: list[str]) -> tuple[int, str]:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return proc.returncode, (proc.stdout or proc.stderr).strip()


@lru_cache(maxsize=None)
def find_cli() -> Cli | None:
    """The first docker CLI on PATH where ``docker buildx version`` works; else the first one
    older than 23.0 (its ``docker build`` has BuildKit built in); None when there is neither."""
    candidates = _candidates()
    for path in candidates:
        code, text = _answer([path, "buildx", "version"])
        if code == 0:
            return Cli(path=path, buildx=True, version=text.splitlines()[0])
    for path in candidates:
        code, text = _answer([path, "--version"])
        m = _VERSION.search(text)
        if code == 0 and m and int(m.group(1)) < 23:
            return Cli(path=path, buildx=False, version=text.splitlines()[0])
    return None


def cli_command(cli: Cli, *, context: Path, dockerfile: Path, tag: str, iidfile: Path, target: str | None = None,
                buildargs: dict[str, str] | None = None, labels: dict[str, str] | None = None,
                nocache: bool = False, network_mode: str | None = None, platform: str | None = None,
                secrets: dict[str, str] | None = None) -> list[str]:
    """The command line of one build (pure: the tests read it)."""
    args = [cli.path, *(["buildx", "build", "--load", "--provenance=false"] if cli.buildx else ["build"]),
            "--progress=plain", "-f", str(dockerfile), "-t", tag, "--iidfile", str(iidfile)]
    if target:
        args += ["--target", target]
    for name, value in (buildargs or {}).items():
        args += ["--build-arg", f"{name}={value}"]
    for name, value in (labels or {}).items():
        args += ["--label", f"{name}={value}"]
    for name, path in (secrets or {}).items():
        args += ["--secret", f"id={name},src={Path(path).resolve()}"]
    if nocache:
        args.append("--no-cache")
    if network_mode:
        args += ["--network", network_mode]
    if platform:
        args += ["--platform", platform]
    return args + [str(context)]


_HEADER = re.compile(r"^#(\d+) (\[.+?\] .*|\S.*)$")
_DONE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
_ERROR = re.compile(r"^#(\d+) ERROR: (.*)$")
_OUTPUT = re.compile(r"^#(\d+) (\d+\.\d+) ?(.*)$")  # "#5 0.219 arch=amd64": seconds since the step began


class PlainLog:
    """Folds ``--progress=plain`` lines, each with the time it arrived, into `Step` records."""

    def __init__(self) -> None:
        self._steps: dict[str, dict] = {}
        self.log: list[str] = []

    def add(self, line: str, at: datetime) -> str | None:
        """Read one line; return the name of a step that started with it (for live status)."""
        line = line.rstrip("\r\n")
        self.log.append(line)
        if m := _DONE.match(line):
            step = self._steps.get(m.group(1))
            if step:
                step["completed"] = at
                step["started"] = min(step["started"], at - timedelta(seconds=float(m.group(2))))
        elif m := _CACHED.match(line):
            if step := self._steps.get(m.group(1)):
                step.update(cached=True, completed=at)
        elif m := _ERROR.match(line):
            if step := self._steps.get(m.group(1)):
                step.update(error=m.group(2), completed=at)
        elif m := _OUTPUT.match(line):
            if step := self._steps.get(m.group(1)):
                step["logs"].append(m.group(3))
        elif (m := _HEADER.match(line)) and m.group(1) not in self._steps:
            self._steps[m.group(1)] = {"name": m.group(2), "started": at, "completed": None, "cached": False,
                                       "error": "", "logs": []}
            return m.group(2)
        return None

    def steps(self) -> list[Step]:
        return [Step(name=s["name"], digest=f"#{n}", cached=s["cached"], started=s["started"],
                     completed=s["completed"], error=s["error"], logs=tuple(s["logs"]))
                for n, s in self._steps.items()]

    def failed(self) -> Step | None:
        failures = [s for s in self.steps() if s.error]
        real = [s for s in failures if "cancel" not in s.error]
        return (real or failures or [None])[0]

    def error(self) -> str:
        """The CLI's own last word on a failed build (``ERROR: failed to solve: ...``)."""
        last = [line for line in self.log if line.startswith(("ERROR:", "error:", "failed to"))]
        return last[-1] if last else (self.log[-1] if self.log else "the CLI said nothing")


def build_cli(cli: Cli, *, reporter: Reporter, label: str, timeout: int = 3600, **options) -> tuple[str | None, PlainLog, float]:
    """Run one build; return the image id (None if it failed), the log read, and the seconds it took.

    `options` are those of `cli_command` but `iidfile`. The CLI talks to the engine DOCKER_HOST names.
    """
    plain = PlainLog()
    env = dict(os.environ)
    if not cli.buildx:
        env["DOCKER_BUILDKIT"] = "1"
    with tempfile.TemporaryDirectory(prefix="dockerlab-build-") as tmp:
        iid = Path(tmp) / "iid"
        args = cli_command(cli, iidfile=iid, **options)
        started = time.monotonic()
        deadline = started + timeout
        try:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                    errors="replace")
        except OSError as exc:
            raise DockerlabError(f"Could not run {cli.path} ({exc}). Is the docker CLI still installed?") from None
        assert proc.stdout is not None
        for line in proc.stdout:
            if (name := plain.add(line, datetime.now(timezone.utc))):
                reporter.status(f"{label}: {name[:100]}")
            if time.monotonic() > deadline:
                proc.kill()
                plain.add(f"ERROR: the build took longer than {timeout} s and was stopped", datetime.now(timezone.utc))
                break
        code = proc.wait()
        seconds = time.monotonic() - started
        image_id = iid.read_text().strip() if code == 0 and iid.is_file() else None
    return image_id, plain, seconds
