"""Build-cache experiments: change one line of the calculator, rebuild, see which steps ran.

`one_line_edit()` makes a change the cache has never seen (a fresh token in the version
default of main.go); `edited_context()` applies it to a copy of calculator/ in a temporary
directory, so the repository never changes; `steps()` reads from a build's log which steps came
from the cache; `discard()` removes the images an experiment made and nothing else.

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
from docker.errors import APIError, NotFound

from . import naming
from .build import CALCULATOR, BuildResult
from .engine import connect
from .errors import DockerlabError

__all__ = ["Edit", "one_line_edit", "edited_context", "steps", "discard", "busy", "overlap", "REUSED", "RAN", "NEVER"]

REUSED = "reused"  # the step's image came from the build cache
RAN = "ran"  # the step ran: no image in the cache matched it
NEVER = "—"  # ARG before the first FROM, and FROM: steps that never use the cache

_STEP = re.compile(r"^Step (\d+)/\d+ : (.*)$")
_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
_NAMED = re.compile(r"^FROM\s+\S+\s+AS\s+(\S+)", re.IGNORECASE)


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


def steps(result: BuildResult, *, stage: str | None = None):
    """One row per step of the Dockerfile (dockerlab's own label steps left out): its number,
    its instruction, and whether it was `REUSED` from the cache, `RAN`, or can `NEVER` use it.
    `stage` keeps only the steps of the stage of that name (``FROM ... AS name``)."""
    import pandas as pd

    rows: list[dict] = []
    seen_from = False
    current: str | None = None
    for line in result.log:
        if m := _STEP.match(line):
            instruction = m.group(2).strip()
            if instruction.startswith(f"LABEL {naming.LABEL}"):
                break  # the labels dockerlab appends come last
            keyword = instruction.split(maxsplit=1)[0].upper() if instruction else ""
            if keyword == "FROM":
                as_name = _NAMED.match(instruction)
                current = as_name.group(1) if as_name else None
            seen_from |= keyword == "FROM"
            never = keyword == "FROM" or (keyword == "ARG" and not seen_from)
            rows.append({"step": int(m.group(1)), "instruction": instruction, "cache": NEVER if never else RAN,
                         "stage": current})
        elif line.strip() == "---> Using cache" and rows:
            rows[-1]["cache"] = REUSED
    if stage is not None:
        named = list(dict.fromkeys(row["stage"] for row in rows if row["stage"]))
        if stage not in named:
            raise DockerlabError(f"This build has no stage named {stage!r}; its named stages: {', '.join(named) or 'none'}.")
        rows = [row for row in rows if row["stage"] == stage]
    return pd.DataFrame([{k: v for k, v in row.items() if k != "stage"} for row in rows],
                        columns=["step", "instruction", "cache"])


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
        removed += sum(not _exists(client, image_id) for image_id in _made(result))
    return removed


def _exists(client: docker.DockerClient, image_id: str) -> bool:
    try:
        client.images.get(image_id)
        return True
    except NotFound:
        return False


def _made(result: BuildResult) -> list[str]:
    """The ids of the images a build made, in order, from its log."""
    made: list[str] = []
    keyword, cached = "", False
    for line in result.log:
        if m := _STEP.match(line):
            keyword, cached = (m.group(2).split(maxsplit=1) or [""])[0].upper(), False
        elif line.strip() == "---> Using cache":
            cached = True
        elif (m := _IMAGE.match(line)) and keyword != "FROM" and not cached:
            made.append(m.group(1))
    return made


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
