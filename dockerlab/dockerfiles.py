"""The repository's Dockerfiles: where they are, and what their lines say, parsed in one place.

One parser reads ``FROM [--platform=P] IMAGE [AS name]`` and ``ARG NAME=default``, and the two
comments dockerlab reads: ``# builder: buildkit`` (lesson 09's, which need BuildKit) and
``# context: NAME`` (lesson 08's, which build from ``pycalc/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ROOT", "DOCKERFILES", "CALCULATOR", "TUTORIAL_BASES", "From", "parse_from", "froms", "variants",
           "dockerfile", "stages", "dockerfile_bases"]

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILES = ROOT / "dockerfiles"
CALCULATOR = ROOT / "calculator"

TUTORIAL_BASES = ("ubuntu:24.04",)
"""The bases the tutorial's Dockerfiles name (besides ``scratch``, which needs no image)."""

_FROM = re.compile(r"^\s*FROM\s+((?:--[a-z-]+=\S+\s+)*)(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)
_PLATFORM = re.compile(r"--platform=(\S+)", re.IGNORECASE)
_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$", re.IGNORECASE)
_BUILDKIT_ONLY = re.compile(r"^# builder: buildkit\b", re.M)
_CONTEXT = re.compile(r"^# context: (\S+)", re.M)


@dataclass(frozen=True)
class From:
    """One ``FROM`` line: the image a stage starts from, the stage's name, its ``--platform``."""

    image: str  # as written: "ubuntu:24.04", "${BASE}", "scratch", or an earlier stage's name
    stage: str | None = None  # the name after AS; None for an unnamed stage
    platform: str | None = None  # the --platform= value, e.g. "$BUILDPLATFORM"


def parse_from(line: str) -> From | None:
    """The parts of a ``FROM`` line (or a log's instruction), or None for any other line."""
    m = _FROM.match(line)
    if not m:
        return None
    platform = _PLATFORM.search(m.group(1))
    return From(image=m.group(2), stage=m.group(3), platform=platform.group(1) if platform else None)


def froms(text: str) -> list[From]:
    """Every ``FROM`` line of a Dockerfile's text, in order."""
    return [found for line in text.splitlines() if (found := parse_from(line))]


def dockerfile(variant: str) -> str:
    """The text of a variant's Dockerfile, to read in a lesson."""
    return (DOCKERFILES / variant / "Dockerfile").read_text()


def variants(*, builder: str = "legacy", context: str = "calculator") -> list[str]:
    """The image variants: one folder with a Dockerfile each under dockerfiles/, built from
    `context` (a Dockerfile that builds from another folder says ``# context: NAME``, as lesson
    08's say ``# context: pycalc``). Those whose Dockerfile says ``# builder: buildkit`` (lesson
    09's) are listed only for ``builder="buildkit"``."""
    found = sorted(p.parent.name for p in DOCKERFILES.glob("*/Dockerfile"))
    found = [v for v in found if _context(dockerfile(v)) == context]
    return found if builder == "buildkit" else [v for v in found if not _BUILDKIT_ONLY.search(dockerfile(v))]


def _context(text: str) -> str:
    """The folder a Dockerfile builds from: its ``# context: NAME`` line, else ``calculator``."""
    found = _CONTEXT.search(text)
    return found.group(1) if found else "calculator"


def stages(variant: str | None = None, *, text: str | None = None) -> list[str]:
    """The named stages of a variant's Dockerfile (or of `text`), in order: ``["build"]``."""
    text = dockerfile(variant) if text is None else text
    return [found.stage for found in froms(text) if found.stage]


def dockerfile_bases(dockerfile: str | Path) -> dict[str, str]:
    """The ``ARG`` defaults that a ``FROM`` line uses, e.g. ``{"BASE": "ubuntu:24.04"}``."""
    args: dict[str, str] = {}
    used: dict[str, str] = {}
    for line in Path(dockerfile).read_text().splitlines():
        if m := _ARG.match(line):
            args.setdefault(m.group(1), m.group(2))
        elif found := parse_from(line):
            for name, default in args.items():
                if f"${{{name}}}" in found.image or found.image == f"${name}":
                    used[name] = default
    return used
