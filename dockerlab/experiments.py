"""Build-cache experiments: change one line of the calculator, rebuild, see which steps ran.

`one_line_edit()` makes a change the cache has never seen (a fresh token in the version
default of main.go); `edited_context()` applies it to a copy of calculator/ in a temporary
directory, so the repository never changes; `steps()` reads from a build's step records
(`BuildResult.legacy_steps`) which steps came from the cache; `discard()` removes the images an
experiment made and nothing else.

    edit = one_line_edit()
    with edited_context(edit) as context:
        result = build("multi-stage", tag=image_name("cache-demo"), context=context)
    steps(result)      # one row per Dockerfile step: reused, ran, or never cached
    discard(result)    # the images this build made (not those it took from the cache)
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
import pandas as pd
from docker.errors import APIError, NotFound

from .build import BuildResult
from .dockerfiles import CALCULATOR
from .engine import connect, has_image
from .errors import DockerlabError

__all__ = ["Edit", "one_line_edit", "edited_context", "steps", "discard", "busy", "overlap", "REUSED", "RAN", "NEVER"]

REUSED = "reused"  # the step's image came from the build cache
RAN = "ran"  # the step ran: no image in the cache matched it
NEVER = "—"  # ARG before the first FROM, and FROM: steps that never use the cache


@dataclass(frozen=True)
class Edit:
    """Replace one whole line, `old`, of one file of the build context with `new`."""

    file: str
    old: str
    new: str

    def apply(self, directory: str | Path) -> None:
        """Make the change in `directory`; raise `DockerlabError` unless `old` is there exactly once."""
        path = Path(directory) / self.file
        lines = path.read_text().split("\n")
        found = lines.count(self.old)
        if found != 1:
            raise DockerlabError(f"The line {self.old!r} is in {path} {found} times, not once: "
                                 "an edit must name one whole line that is there exactly once.")
        lines[lines.index(self.old)] = self.new
        path.write_text("\n".join(lines))

    def _repr_markdown_(self) -> str:
        return f"In `{self.file}`:\n\n```diff\n- {self.old}\n+ {self.new}\n```"


def one_line_edit(*, token: str | None = None) -> Edit:
    """A one-line change to main.go that the build cache has never seen: the version default,
    ``"dev"``, becomes ``"dev-<token>"`` (a fresh random token unless one is given)."""
    token = token or secrets.token_hex(6)
    if not re.fullmatch(r"[A-Za-z0-9._-]+", token):
        raise DockerlabError(f"The token {token!r} must be letters, digits, '.', '_' or '-' to sit in a Go string.")
    return Edit("main.go", 'var version = "dev"', f'var version = "dev-{token}"')


@contextmanager
def edited_context(edit: Edit, *, source: str | Path = CALCULATOR) -> Iterator[Path]:
    """A copy of `source` (calculator/ by default) with `edit` applied, in a temporary
    directory outside the repository that is removed when the ``with`` block ends."""
    with tempfile.TemporaryDirectory(prefix="dockerlab-context-") as tmp:
        context = Path(tmp) / Path(source).name
        shutil.copytree(source, context)
        edit.apply(context)
        yield context


def steps(result: BuildResult, *, stage: str | None = None) -> pd.DataFrame:
    """One row per step of the Dockerfile (dockerlab's own label steps left out): its number,
    its instruction, and whether it was `REUSED` from the cache, `RAN`, or can `NEVER` use it.
    `stage` keeps only the steps of the stage of that name (``FROM ... AS name``)."""
    mine = [s for s in result.legacy_steps if not s.ours]
    if stage is not None:
        named = list(dict.fromkeys(s.stage for s in mine if s.stage))
        if stage not in named:
            raise DockerlabError(f"This build has no stage named {stage!r}; its named stages: {', '.join(named) or 'none'}.")
        mine = [s for s in mine if s.stage == stage]
    rows = [{"step": s.number, "instruction": s.instruction, "cache": REUSED if s.cached else RAN if s.cacheable else NEVER}
            for s in mine]
    return pd.DataFrame(rows, columns=["step", "instruction", "cache"])


def discard(*results: BuildResult, client: docker.DockerClient | None = None) -> int:
    """Untag the builds' images and remove the images they made (each step that ran), newest
    first; never an image they took from the cache or started from, nor one that another image
    or tag has come to use since (a later build may have taken it from the cache). The number removed."""
    client = client or connect()[0]
    removed = 0
    for result in reversed(results):
        for tag in result.tags:
            try:
                client.images.remove(tag, noprune=True)  # only untags an image that is in use
            except (NotFound, APIError):
                pass
        for image_id in reversed(_made(result)):
            try:
                if client.images.get(image_id).tags:
                    continue  # tagged by someone else since: theirs now
                client.images.remove(image_id, noprune=True)  # refused if another image builds on it
            except (NotFound, APIError):
                pass
        removed += sum(not has_image(client, image_id) for image_id in _made(result))
    return removed


def _made(result: BuildResult) -> list[str]:
    """The ids of the images a build made, in order: each step that ran, but FROM."""
    return [s.image_id for s in result.legacy_steps if s.image_id and not s.cached and s.keyword != "FROM"]


def busy(timeline, stage: str) -> list[tuple[float, float]]:
    """The intervals (start, end), merged, in which some step of `stage` ran; `timeline` is a
    build's ``timeline`` (`build.StepTime` records)."""
    spans = sorted((s.start, s.end) for s in timeline if s.stage == stage and s.end > s.start)
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap(timeline, first: str, second: str) -> float:
    """The seconds in which steps of stages `first` and `second` ran at the same time."""
    return sum(max(0.0, min(a1, b1) - max(a0, b0)) for a0, a1 in busy(timeline, first) for b0, b1 in busy(timeline, second))
