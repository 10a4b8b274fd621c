"""Fixtures a lesson builds from: the leak demonstration's build context, with a clearly fake secret."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .dockerfiles import CALCULATOR

__all__ = ["FAKE_SECRET", "leaky_context"]

FAKE_SECRET = "API_TOKEN=fake-0000-not-a-real-token-dockerlab-demo"
"""The leak demonstration's secret: clearly fake, and the same on every run (so builds cache)."""


@contextmanager
def leaky_context(*, secret: str = FAKE_SECRET, name: str = ".env",
                  source: str | Path = CALCULATOR) -> Iterator[Path]:
    """A copy of `source` (calculator/) with a fake secret file `name` in it, in a temporary
    directory removed when the ``with`` block ends: the build context of the leak demonstration."""
    with tempfile.TemporaryDirectory(prefix="dockerlab-leak-") as tmp:
        context = Path(tmp) / Path(source).name
        # Like many projects, this one has no .dockerignore: it is what would have kept the secret out.
        shutil.copytree(source, context, ignore=shutil.ignore_patterns(".dockerignore"))
        (context / name).write_text(f"# A fake secret for dockerlab's leak demonstration: it opens nothing.\n{secret}\n")
        yield context
