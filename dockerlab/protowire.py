"""A reader of the protobuf wire format, with the standard library only (no protobuf package).

`decode(cls, data, schemas)` builds the dataclass `cls` from one message by its schema: field
number -> (attribute, kind), the kind one of ``int``, ``bool``, ``str``, ``bytes``, ``time`` (a
google.protobuf.Timestamp) or the name of another class of `schemas`, with ``*`` after it for a
repeated field. Unknown fields are skipped by their wire type, as protobuf does; absent ones
keep the dataclass's defaults (proto3's); cut or malformed input raises `WireFormatError`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator

from .errors import WireFormatError

__all__ = ["Schemas", "decode", "text"]

Schemas = dict[type, dict[int, tuple[str, str]]]
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _malformed(what: str, message: str) -> WireFormatError:
    return WireFormatError(f"{what}: {message}")


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
    """``(field number, wire type, value)`` for each field of one message, in order; `what` names
    the message in an error."""
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


def text(value: bytes) -> str:
    """A string field (UTF-8; a bad byte becomes U+FFFD)."""
    return value.decode("utf-8", errors="replace")


def _timestamp(data: bytes) -> datetime:
    """A google.protobuf.Timestamp ``{int64 seconds = 1; int32 nanos = 2}`` as an aware UTC datetime."""
    seconds = nanos = 0
    for number, wire, value in _fields(data, "Timestamp"):
        if number in (1, 2):
            _expect("Timestamp", number, wire, _VARINT)
            if number == 1:
                seconds = _signed(value)
            else:
                nanos = _signed(value)
    return _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)


_SCALARS = {"int": _signed, "bool": bool, "str": text, "bytes": bytes, "time": _timestamp}


def decode(cls: type, data: bytes, schemas: Schemas):
    """Build `cls` from the message `data` by its schema in `schemas`."""
    what, schema = cls.__name__, schemas[cls]
    values: dict[str, object] = {}
    for number, wire, value in _fields(data, what):
        if number not in schema:
            continue  # unknown: skipped by its wire type, as protobuf does
        name, kind = schema[number]
        _expect(f"{what}.{name}", number, wire, _VARINT if kind in ("int", "bool") else _LEN)
        element = kind.rstrip("*")
        if element in _SCALARS:
            decoded = _SCALARS[element](value)
        else:
            decoded = decode(next(c for c in schemas if c.__name__ == element), value, schemas)
        if kind.endswith("*"):
            values.setdefault(name, []).append(decoded)
        else:
            values[name] = decoded
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
