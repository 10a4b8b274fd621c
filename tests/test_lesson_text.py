"""What the lessons say, read from the committed notebooks (no engine needed).

- Run All never answers an exercise: every check cell's committed output says "not answered
  yet", and no committed output carries a solution's verdict.
- No code cell of any lesson is over 40 lines.
- No number is typed in the prose of lessons 02-07: a digit in a markdown cell must be inside
  code, a quotation of the write-up's figures, a date, a lesson's number, a link or the
  navigation block. Numbers come from code (``display(Markdown(f"..."))``), so that they stay true
  on any engine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
MINE = [p for p in LESSONS if p.name[:2] in {"02", "03", "04", "05", "06", "07"}]
CHECK_CALL = re.compile(r"^\s*checks\.check_\w+\(", re.M)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def output_text(cell: dict) -> str:
    """Every text a code cell's committed outputs show, in any format."""
    texts = []
    for output in cell.get("outputs", []):
        texts.append("".join(output.get("text", "")))
        for kind, value in output.get("data", {}).items():
            if kind.startswith("text/"):
                texts.append("".join(value) if isinstance(value, list) else str(value))
    return "\n".join(texts)


@pytest.mark.parametrize("path", MINE, ids=lambda p: p.stem)
def test_every_exercise_is_left_to_the_learner(path):
    """The learner's cell holds the placeholder, the check cell below it says "not answered yet",
    and the solution is only in a collapsed <details> block."""
    nb = cells(path)
    checks = [i for i, c in enumerate(nb) if c["cell_type"] == "code" and CHECK_CALL.search(source(c))]
    assert checks, f"{path.name}: no visible check cell (a line calling checks.check_...)"
    for i in checks:
        said = output_text(nb[i])
        assert "not answered yet" in said, f"{path.name} cell {i}: the committed check says {said[:200]!r}"
        learner = source(nb[i - 1])
        assert nb[i - 1]["cell_type"] == "code" and re.match(r"\s*answer = \.\.\.", learner), \
            f"{path.name} cell {i - 1}: the learner's cell must start with `answer = ...`"
        assert "<details><summary>Solution</summary>" in source(nb[i + 1]), f"{path.name}: solution block after cell {i}"
        assert "check" in source(nb[i - 2]) and "checks.check_" in source(nb[i - 2]), \
            f"{path.name} cell {i - 2}: the prompt must name the check to run"
    hidden = [i for i, c in enumerate(nb) if c["cell_type"] == "code" and c["metadata"].get("jupyter", {}).get("source_hidden")]
    assert not hidden, f"{path.name}: hidden code cells {hidden} (a solution must not run on Run All)"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_output_gives_a_solution_away(path):
    for i, cell in enumerate(cells(path)):
        said = output_text(cell)
        assert "all correct" not in said.lower() and "Well done" not in said, f"{path.name} cell {i}: {said[:200]!r}"
        if CHECK_CALL.search(source(cell)):
            assert "✓" not in said and "correct" not in said.lower(), f"{path.name} cell {i}: {said[:200]!r}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_code_cell_is_over_40_lines(path):
    long = {i: len(source(c).splitlines()) for i, c in enumerate(cells(path))
            if c["cell_type"] == "code" and len(source(c).splitlines()) > 40}
    assert not long, f"{path.name}: code cells over 40 lines (cell: lines): {long}"


ALLOWED = [
    re.compile(r"<!-- (nav|next) -->.*?<!-- /(nav|next) -->", re.S),  # the generated navigation
    re.compile(r"<details>.*?</details>", re.S),  # a solution: code
    re.compile(r"```.*?```", re.S),  # code blocks
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"\]\([^)\s]*\)"),  # link targets
    re.compile(r"https?://\S+"),
    re.compile(r"^\*\*Time:\*\*.*$", re.M),  # the lesson's stated time, from the headless run's measure
    re.compile(r"^# \d\d ·", re.M),  # the lesson's number in its title
    re.compile(r"\b(642 MB|1\.96 MB)"),  # the original write-up's figures, quoted as its figures
    re.compile(r"\b\d{4}-\d\d-\d\d\b"),  # dates
    re.compile(r"\blessons? \d\d(( ?[-–] ?| to |, | and | or )\d\d)*\b", re.I),  # lesson numbers
    re.compile(r"\b\d\d · "),  # a lesson named by its title
    # a release, not a measure: "Docker Engine 23", "engine 25", "Docker 25+", "from version 25"
    re.compile(r"\b(Docker Engine|Docker|Engines?|engines?|version|since) \d+(\.\d+)*\+?", re.I),
    re.compile(r"\b[A-Za-z]+-?\d+\b"),  # names with digits in them: sha256, SHA-256, DL3008
]


def typed_numbers(text: str) -> list[str]:
    """The digits of a markdown cell's text left once what may hold digits is taken out."""
    for pattern in ALLOWED:
        text = pattern.sub(" ", text)
    return [m.group(0) for m in re.finditer(r"\S*\d\S*", text)]


def test_the_scan_sees_typed_numbers():
    assert typed_numbers("The image weighs about 0.2 MB, in a minute or two.") == ["0.2"]
    assert typed_numbers("more than 30 files, lesson 05 says; `du -d 3` and 642 MB") == ["30"]
    assert typed_numbers("Lessons 02 and 03, on 2026-12-01, [next](03-multi-stage.ipynb)") == []
    assert typed_numbers("since Docker Engine 23, a sha256 and DL3008; Docker 25+ writes both") == []


@pytest.mark.parametrize("path", MINE, ids=lambda p: p.stem)
def test_no_number_is_typed_in_the_prose(path):
    typed = {i: found for i, c in enumerate(cells(path)) if c["cell_type"] == "markdown"
             and (found := typed_numbers(source(c)))}
    assert not typed, f"{path.name}: numbers typed in markdown (cell: words); compute them in code: {typed}"
