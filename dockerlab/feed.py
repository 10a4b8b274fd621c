"""`Feed`, the one adapter from an iterable of bytes chunks (``docker save``'s stream) to a byte
stream: the input of `dockerlab._tar`'s header reader, and a raw stream for `io.BufferedReader`,
`gzip` or `tarfile` where a caller wants one."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from typing import Any

__all__ = ["Feed"]


class Feed(io.RawIOBase):
    """A forward-only byte stream over an iterable of bytes chunks (read, peek, skip).

    Skipping steps over whole chunks without copying them. ``limit`` (an offset in the stream,
    or None) makes the stream end there, as a tar member's content ends for the tar inside it.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._buf = b""  # the current chunk
        self._pos = 0  # how much of it was consumed
        self._base = 0  # stream offset of _buf[0]
        self.limit: int | None = None

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._base + self._pos

    def _room(self, n: int) -> int:
        """n (0 if negative), cut at the limit."""
        if self.limit is not None and self._base + self._pos + n > self.limit:
            return max(0, self.limit - self._base - self._pos)
        return max(0, n)

    def _advance(self) -> bool:
        """Make the next non-empty chunk current (the current one is used up); False at the end."""
        self._base += len(self._buf)
        self._buf, self._pos = b"", 0
        for chunk in self._chunks:
            if chunk:
                self._buf = chunk if type(chunk) is bytes else bytes(chunk)
                return True
        return False

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        """Up to n bytes (all that is left if n < 0); fewer only where the stream (or the limit) ends."""
        n = self._room(sys.maxsize if n is None or n < 0 else n)
        pos, buf = self._pos, self._buf
        if pos + n <= len(buf):
            self._pos = pos + n
            return buf[pos:pos + n]
        parts, need = [buf[pos:]], n - (len(buf) - pos)
        self._pos = len(buf)
        while need > 0 and self._advance():
            part = self._buf[:need]
            parts.append(part)
            self._pos = len(part)
            need -= len(part)
        return b"".join(parts)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def peek(self, n: int) -> bytes:
        """Up to n bytes, left unread."""
        n = self._room(n)
        if len(self._buf) - self._pos < n:
            start, parts = self.tell(), [self._buf[self._pos:]]
            have = len(parts[0])
            for chunk in self._chunks:
                parts.append(bytes(chunk))
                have += len(chunk)
                if have >= n:
                    break
            self._buf, self._pos, self._base = b"".join(parts), 0, start
        return self._buf[self._pos:self._pos + n]

    def skip(self, n: int) -> int:
        """Step over n bytes; returns how many there were."""
        n = left = self._room(n)
        while left > len(self._buf) - self._pos:
            left -= len(self._buf) - self._pos
            if not self._advance():
                return n - left
        self._pos += left
        return n
