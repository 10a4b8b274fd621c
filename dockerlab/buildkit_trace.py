"""Reading BuildKit's progress trace: a protobuf wire reader and a fold into step records.

A BuildKit build through ``POST /build?version=2`` reports its progress as events
``{"id": "moby.buildkit.trace", "aux": "<base64>"}``; each payload is one ``StatusResponse``
of moby/buildkit ``api/services/control/control.proto``::

    StatusResponse { repeated Vertex vertexes = 1; repeated VertexStatus statuses = 2;
                     repeated VertexLog logs = 3; repeated VertexWarning warnings = 4; }

`decode_status` reads one payload with the standard library only (no protobuf package):
unknown fields are skipped by their wire type, truncated or malformed input raises
`DockerlabError`. BuildKit sends a vertex again each time it changes; `Trace` merges them by
digest into one `Step` per vertex, with the vertex's log lines, in the order they were first seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Iterator

from .errors import DockerlabError

__all__ = [
    "Vertex", "VertexStatus", "VertexLog", "VertexWarning", "StatusResponse", "decode_status",
    "Step", "Trace", "is_internal", "parse_step_name",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


# -- the wire format ------------------------------------------------------------------------------

def _malformed(what: str, message: str) -> DockerlabError:
    return DockerlabError(
        f"BuildKit's progress trace cannot be read: {what}: {message}. The engine sent a "
        "StatusResponse this reader does not understand; build again, and report the engine's "
        "version if it happens every time."
    )


def _varint(data: bytes, pos: int, what: str) -> tuple[int, int]:
    """The unsigned varint at `pos` and the position after it."""
    value = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            raise _malformed(what, f"a varint is cut short at byte {pos + i}")
        byte = data[pos + i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos + i + 1
        shift += 7
    raise _malformed(what, f"the varint at byte {pos} is longer than 10 bytes")


def _fields(data: bytes, what: str) -> Iterator[tuple[int, int, int | bytes]]:
    """``(field number, wire type, value)`` for each field of one message, in order."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos, what)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _malformed(what, f"field number 0 at byte {pos}")
        if wire == _VARINT:
            value, pos = _varint(data, pos, what)
        elif wire in (_I64, _I32):
            size = 8 if wire == _I64 else 4
            if pos + size > len(data):
                raise _malformed(what, f"field {number} needs {size} bytes, {len(data) - pos} are left")
            value, pos = int.from_bytes(data[pos:pos + size], "little"), pos + size
        elif wire == _LEN:
            size, pos = _varint(data, pos, what)
            if pos + size > len(data):
                raise _malformed(what, f"field {number} is {size} bytes long, {len(data) - pos} are left")
            value, pos = data[pos:pos + size], pos + size
        else:
            raise _malformed(what, f"field {number} has wire type {wire}; only 0, 1, 2 and 5 are read (3 and 4 are groups)")
        yield number, wire, value


def _signed(value: int) -> int:
    """An int64/int32 varint as a signed number (negative numbers use ten bytes)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _expect(what: str, number: int, wire: int, wanted: int) -> None:
    if wire != wanted:
        raise _malformed(what, f"field {number} has wire type {wire}, expected {wanted}")


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


def _timestamp(data: bytes, what: str) -> datetime:
    """A google.protobuf.Timestamp ``{int64 seconds = 1; int32 nanos = 2}`` as an aware UTC datetime."""
    seconds = nanos = 0
    for number, wire, value in _fields(data, what):
        if number in (1, 2):
            _expect(what, number, wire, _VARINT)
            if number == 1:
                seconds = _signed(value)
            else:
                nanos = _signed(value)
    return _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)


def _message(cls, data: bytes):
    """Build `cls` from `data` by its schema: field number -> (attribute, kind; ``*`` = repeated)."""
    what, schema = cls.__name__, _SCHEMAS[cls]
    values: dict[str, object] = {}
    for number, wire, value in _fields(data, what):
        if number not in schema:
            continue  # unknown: skipped by its wire type, as protobuf does
        name, kind = schema[number]
        _expect(f"{what}.{name}", number, wire, _VARINT if kind in ("int", "bool") else _LEN)
        decoded = _DECODE[kind.rstrip("*")](value)
        if kind.endswith("*"):
            values.setdefault(name, []).append(decoded)
        else:
            values[name] = decoded
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


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


_SCHEMAS: dict[type, dict[int, tuple[str, str]]] = {
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


_DECODE = {"int": _signed, "bool": bool, "str": _text, "bytes": bytes, "time": lambda data: _timestamp(data, "Timestamp"),
           **{cls.__name__: partial(_message, cls) for cls in _SCHEMAS}}


def decode_status(data: bytes) -> StatusResponse:
    """Decode one StatusResponse payload (already base64-decoded); raise `DockerlabError` if malformed."""
    return _message(StatusResponse, bytes(data))


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
            self._add_output(chunk.vertex, _text(chunk.msg))
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
