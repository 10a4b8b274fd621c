"""The legacy builder's log, read once as it streams: one `LegacyStep` per ``Step N/M : ...`` line.

`build` feeds it every line; a `BuildResult` keeps the records (``legacy_steps``), and
`experiments` reads those, never the log again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import naming
from .dockerfiles import parse_from

__all__ = ["LegacyStep", "LegacyLog"]

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
_BUILT = re.compile(r"^Successfully built ([0-9a-f]+)$")
_USING_CACHE = "---> Using cache"


@dataclass(frozen=True)
class LegacyStep:
    """One step of a legacy build, as its log tells it."""

    number: int  # N of "Step N/M"
    instruction: str
    stage: str | None  # its stage's name (FROM ... AS name); None in an unnamed stage
    stage_index: int  # which FROM it follows, counting from 0; -1 before the first
    cacheable: bool  # False for FROM and for an ARG before the first FROM: they never use the cache
    ours: bool  # one of the LABEL steps the builder appends for dockerlab's labels
    start: float  # seconds from the build's start to the step's line
    cached: bool = False  # "---> Using cache"
    image_id: str | None = None  # the image the step left (" ---> ID"), made or taken from the cache

    @property
    def keyword(self) -> str:
        return _keyword(self.instruction)

    @property
    def stage_name(self) -> str | None:
        """The stage's name; ``stage-N`` for an unnamed one, as BuildKit names it; None before any FROM."""
        return None if self.stage_index < 0 else self.stage or f"stage-{self.stage_index}"


class LegacyLog:
    """The records of one legacy build's log, `feed` line by line."""

    def __init__(self) -> None:
        self.steps: list[LegacyStep] = []
        self.line: str | None = None  # the last "Step N/M : ..." line, as the engine wrote it
        self.total = 0  # M of the last step line
        self.built: str | None = None  # the id in "Successfully built ID"

    def feed(self, line: str, now: float) -> LegacyStep | None:
        """Read one line of the log at `now`; return the step it starts, if it starts one."""
        if m := _STEP.match(line):
            instruction = m.group(3).strip()
            keyword = _keyword(instruction)
            last = self.steps[-1] if self.steps else None
            stage, index = (last.stage, last.stage_index) if last else (None, -1)
            if keyword == "FROM":
                found = parse_from(instruction)
                stage, index = (found.stage if found else None), index + 1
            step = LegacyStep(number=int(m.group(1)), instruction=instruction, stage=stage, stage_index=index,
                              cacheable=keyword != "FROM" and not (keyword == "ARG" and index < 0),
                              ours=instruction.startswith(f"LABEL {naming.LABEL}"), start=now)
            self.steps.append(step)
            self.line, self.total = line, int(m.group(2))
            return step
        if self.steps and line.strip() == _USING_CACHE:
            self.steps[-1] = replace(self.steps[-1], cached=True)
        elif self.steps and (m := _IMAGE.match(line)):
            self.steps[-1] = replace(self.steps[-1], image_id=m.group(1))
        elif m := _BUILT.match(line):
            self.built = self.built or m.group(1)
        return None


def _keyword(instruction: str) -> str:
    return instruction.split(maxsplit=1)[0].upper() if instruction else ""
