"""Reading BuildKit's progress trace: its messages, and a fold of them into step records.

A BuildKit build through ``POST /build?version=2`` reports its progress as events
``{"id": "moby.buildkit.trace", "aux": "<base64>"}``; each payload is one ``StatusResponse``
of moby/buildkit ``api/services/control/control.proto``::

    StatusResponse { repeated Vertex vertexes = 1; repeated VertexStatus statuses = 2;
                     repeated VertexLog logs = 3; repeated VertexWarning warnings = 4; }

`decode_status` reads one payload with `dockerlab.protowire` (no protobuf package): unknown
fields are skipped by their wire type, truncated or malformed input raises `WireFormatError`.
BuildKit sends a vertex again each time it changes; `Trace` merges them by digest into one
`Step` per vertex, with the vertex's log lines, in the order they were first seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from . import protowire
from .errors import WireFormatError

__all__ = [
    "Vertex", "VertexStatus", "VertexLog", "VertexWarning", "StatusResponse", "decode_status",
    "Step", "Trace", "is_internal", "parse_step_name",
]


# -- the messages ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Vertex:
    """One node of the build graph: a Dockerfile step or one of BuildKit's own operations."""

    digest: str = ""
    inputs: tuple[str, ...] = ()
    name: str = ""
    cached: bool = False
    started: datetime | None = None
    completed: datetime | None = None
    error: str = ""


@dataclass(frozen=True)
class VertexStatus:
    """Progress of one task inside a vertex (bytes transferred, layers extracted)."""

    id: str = ""
    vertex: str = ""
    name: str = ""
    current: int = 0
    total: int = 0
    timestamp: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None


@dataclass(frozen=True)
class VertexLog:
    """A chunk of a vertex's output; `stream` is 1 for stdout, 2 for stderr."""

    vertex: str = ""
    timestamp: datetime | None = None
    stream: int = 0
    msg: bytes = b""


@dataclass(frozen=True)
class VertexWarning:
    """A warning BuildKit attached to a vertex (newer engines only)."""

    vertex: str = ""
    level: int = 0
    short: bytes = b""
    detail: tuple[bytes, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class StatusResponse:
    """One progress message: the vertexes, statuses, logs and warnings that changed."""

    vertexes: tuple[Vertex, ...] = ()
    statuses: tuple[VertexStatus, ...] = ()
    logs: tuple[VertexLog, ...] = ()
    warnings: tuple[VertexWarning, ...] = ()


_SCHEMAS: protowire.Schemas = {
    Vertex: {1: ("digest", "str"), 2: ("inputs", "str*"), 3: ("name", "str"), 4: ("cached", "bool"),
             5: ("started", "time"), 6: ("completed", "time"), 7: ("error", "str")},
    VertexStatus: {1: ("id", "str"), 2: ("vertex", "str"), 3: ("name", "str"), 4: ("current", "int"),
                   5: ("total", "int"), 6: ("timestamp", "time"), 7: ("started", "time"), 8: ("completed", "time")},
    VertexLog: {1: ("vertex", "str"), 2: ("timestamp", "time"), 3: ("stream", "int"), 4: ("msg", "bytes")},
    VertexWarning: {1: ("vertex", "str"), 2: ("level", "int"), 3: ("short", "bytes"), 4: ("detail", "bytes*"),
                    5: ("url", "str")},
    StatusResponse: {1: ("vertexes", "Vertex*"), 2: ("statuses", "VertexStatus*"), 3: ("logs", "VertexLog*"),
                     4: ("warnings", "VertexWarning*")},
}


def decode_status(data: bytes) -> StatusResponse:
    """Decode one StatusResponse payload (already base64-decoded); raise `WireFormatError` if malformed."""
    try:
        return protowire.decode(StatusResponse, bytes(data), _SCHEMAS)
    except WireFormatError as exc:
        raise WireFormatError(
            f"BuildKit's progress trace cannot be read: {exc}. The engine sent a StatusResponse this "
            "reader does not understand; build again, and report the engine's version if it happens every time."
        ) from None


# -- steps ----------------------------------------------------------------------------------------

_STEP_NAME = re.compile(
    r"^\[(?:(?P<platform>[^\s\]/]+/[^\s\]]+) )?(?:(?P<stage>[^\s\]/]+) )?(?P<index>\d+)/(?P<total>\d+)\] (?P<instruction>.*)$",
    re.DOTALL,
)


def parse_step_name(name: str) -> tuple[str | None, int, int, str] | None:
    """``"[build 2/5] RUN go build"`` -> ``("build", 2, 5, "RUN go build")``; None for other vertexes.

    A Dockerfile with one stage has no stage name (``"[1/3] FROM ..."``): the stage is None.
    """
    m = _STEP_NAME.match(name)
    if not m:
        return None
    return m.group("stage"), int(m.group("index")), int(m.group("total")), m.group("instruction")


def is_internal(name: str) -> bool:
    """True for BuildKit's own vertexes (``[internal] load ...``, ``exporting to image``), not Dockerfile steps."""
    return parse_step_name(name) is None


@dataclass(frozen=True)
class Step:
    """One vertex of a build, merged from every message that mentioned it."""

    name: str
    digest: str
    cached: bool = False
    started: datetime | None = None
    completed: datetime | None = None
    error: str = ""
    logs: tuple[str, ...] = field(default=(), repr=False)

    @property
    def internal(self) -> bool:
        return is_internal(self.name)

    @property
    def stage(self) -> str | None:
        parsed = parse_step_name(self.name)
        return parsed[0] if parsed else None

    @property
    def index(self) -> int | None:
        parsed = parse_step_name(self.name)
        return parsed[1] if parsed else None

    @property
    def instruction(self) -> str:
        """The Dockerfile instruction (``RUN go build``), or the whole name of an internal vertex."""
        parsed = parse_step_name(self.name)
        return parsed[3] if parsed else self.name

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.completed is None:
            return None
        return (self.completed - self.started).total_seconds()


class Trace:
    """Folds a stream of `StatusResponse` messages into `Step` records and plain log lines.

    The log reads like ``docker build --progress=plain``: ``#3 [build 2/3] RUN ...``, then
    ``#3 <output line>``, then ``#3 DONE 0.4s``, ``#3 CACHED`` or ``#3 ERROR: ...``.
    """

    def __init__(self) -> None:
        self._vertexes: dict[str, Vertex] = {}
        self._numbers: dict[str, int] = {}
        self._lines: dict[str, list[str]] = {}
        self._partial: dict[str, str] = {}
        self.log: list[str] = []

    def add(self, message: StatusResponse) -> list[Vertex]:
        """Merge one message; return the vertexes that started in it (for live status)."""
        started, finished = [], []
        for new in message.vertexes:
            old = self._vertexes.get(new.digest)
            if old is None:
                self._numbers.setdefault(new.digest, len(self._numbers) + 1)
                self._lines.setdefault(new.digest, [])
            merged = new if old is None else Vertex(
                digest=new.digest, inputs=new.inputs or old.inputs, name=new.name or old.name,
                cached=new.cached or old.cached, started=new.started or old.started,
                completed=new.completed or old.completed, error=new.error or old.error)
            self._vertexes[new.digest] = merged
            n = self._numbers[new.digest]
            if merged.started and not (old and old.started):
                self.log.append(f"#{n} {merged.name}")
                started.append(merged)
            if merged.cached and not (old and old.cached):
                self.log.append(f"#{n} CACHED")
            if merged.error and not (old and old.error):
                finished.append((new.digest, f"#{n} ERROR: {merged.error}"))
            elif merged.completed and not (old and old.completed) and not merged.cached:
                seconds = (merged.completed - merged.started).total_seconds() if merged.started else 0.0
                finished.append((new.digest, f"#{n} DONE {seconds:.1f}s"))
        for chunk in message.logs:  # before the endings: a message may carry a step's last output and its end
            self._add_output(chunk.vertex, protowire.text(chunk.msg))
        for digest, line in finished:
            self._flush(digest)
            self.log.append(line)
        return started

    def _add_output(self, digest: str, text: str) -> None:
        if digest not in self._numbers:  # a log before its vertex: keep it under a number of its own
            self._numbers[digest] = len(self._numbers) + 1
            self._lines[digest] = []
        *complete, rest = (self._partial.pop(digest, "") + text).split("\n")
        for line in complete:
            self._line(digest, line.rstrip("\r"))
        if rest:
            self._partial[digest] = rest

    def _line(self, digest: str, line: str) -> None:
        self._lines[digest].append(line)
        self.log.append(f"#{self._numbers[digest]} {line}")

    def _flush(self, digest: str) -> None:
        if digest in self._partial:
            self._line(digest, self._partial.pop(digest).rstrip("\r"))

    def steps(self) -> list[Step]:
        """Every vertex seen so far, in the order first seen, with its complete log lines."""
        for digest in list(self._partial):
            self._flush(digest)
        return [Step(name=v.name, digest=v.digest, cached=v.cached, started=v.started, completed=v.completed,
                     error=v.error, logs=tuple(self._lines.get(d, ()))) for d, v in self._vertexes.items()]

    def failed(self) -> Step | None:
        """The step that failed: the first with an error that is not a mere cancellation."""
        failures = [s for s in self.steps() if s.error]
        real = [s for s in failures if "context canceled" not in s.error]
        return (real or failures or [None])[0]
