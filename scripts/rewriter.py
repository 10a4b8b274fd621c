"""The command line the generators of committed text share (navigation.py, lesson_times.py):
`render(check)` rewrites what is out of date, or with `--check` only names it, and exits 1."""

from __future__ import annotations

import sys
from typing import Callable


def main(render: Callable[[bool], list[str]]) -> int:
    """Run `render`, say what it rewrote or found stale; the exit status (1: stale under --check)."""
    check = "--check" in sys.argv[1:]
    stale = render(check)
    if stale:
        print(("out of date: " if check else "rewrote: ") + ", ".join(stale))
    return 1 if check and stale else 0
