"""Progress for long operations: a live status line in a notebook, plain lines elsewhere.

In a Jupyter kernel the status is one display that is updated in place and cleared when the
work is done, so a notebook keeps only the result, never a scrolling log. Elsewhere (a terminal,
CI) each status is a plain line on standard error.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Protocol

__all__ = ["Reporter", "PlainReporter", "NotebookReporter", "SilentReporter", "reporter"]


_DIGITS = re.compile(r"\d+")


class Reporter(Protocol):
    """Anything that can show a status line and be told the work is done."""

    def status(self, text: str) -> None: ...

    def done(self) -> None: ...


class PlainReporter:
    """Writes each new status as a line to a stream (standard error by default). A status that
    differs from the last one only in its numbers (a counter: "Saving ...: 12 MB") is written at
    most every `every` seconds, so a log keeps a few lines of it, not one per megabyte; the last
    count withheld is written when the counter ends, so a log ends with the final count."""

    def __init__(self, stream=None, *, every: float = 2.0) -> None:
        self._stream = stream
        self._every = every
        self._last = self._shape = self._withheld = ""
        self._written_at = 0.0

    def status(self, text: str) -> None:
        if not text or text == self._last:
            return
        shape, now = _DIGITS.sub("#", text), time.monotonic()
        if shape == self._shape and now - self._written_at < self._every:
            self._withheld = text
            return
        if shape != self._shape:
            self._flush()
        self._write(text)
        self._shape, self._written_at = shape, now

    def done(self) -> None:
        self._flush()
        self._last = self._shape = ""

    def _flush(self) -> None:
        if self._withheld:
            self._write(self._withheld)

    def _write(self, text: str) -> None:
        print(text, file=self._stream or sys.stderr, flush=True)
        self._last, self._withheld = text, ""


class NotebookReporter:
    """Shows the latest status in one display that is cleared when done (at most 5 updates/s)."""

    def __init__(self) -> None:
        self._handle = None
        self._shown_at = 0.0

    def status(self, text: str) -> None:
        from IPython.display import display

        now = time.monotonic()
        if self._handle is None:
            # Born empty and emptied when done: a saved notebook and nbval (which sees only the
            # first display, not its updates) both hold the same blank output.
            self._handle = display(_Status(""), display_id=True)
            self._shown_at = 0.0
        if now - self._shown_at >= 0.2:
            self._handle.update(_Status(text))
            self._shown_at = now

    def done(self) -> None:
        if self._handle is not None:
            self._handle.update(_Status(""))
            self._handle = None


class SilentReporter:
    """Shows nothing."""

    def status(self, text: str) -> None:
        pass

    def done(self) -> None:
        pass


class _Status:
    """A status line that renders as plain text in every front end."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def reporter(*, quiet: bool = False) -> Reporter:
    """The reporter for where the code runs: notebook, terminal, or nothing when quiet."""
    if quiet:
        return SilentReporter()
    if _in_kernel():
        return NotebookReporter()
    return PlainReporter()


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"
