"""Write each lesson's `**Time:**` line (in its first cell) from a model measured on the notebook.
`--check` only reports what is out of date (exit 1).

    python scripts/lesson_times.py           # rewrite
    python scripts/lesson_times.py --check   # what the tests run

A newcomer cannot be timed here, so the time is a model whose inputs come from the committed
notebook: its prose words at WORDS_PER_MINUTE, its code lines at CODE_LINES_PER_MINUTE (or, for a
lesson in TYPED, its %%writefile characters at TYPED_CHARS_PER_MINUTE), EXERCISE_MINUTES per
exercise, and the cells' run times recorded by the last headless run. The sum, rounded up to
5 minutes, is the stated time. The line is generated whole: text after it on its own line stays.
"""

from __future__ import annotations

import json
import math
import re
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# Prose: 200 words a minute, the "learning" rate of Carver's reading processes (R. P. Carver,
# Reading Rate: A Review of Research and Theory, 1990); M. Brysbaert's meta-analysis (Journal of
# Memory and Language, 2019) puts silent reading of non-fiction at 238. Prose full of `code` and
# new terms is read more slowly than that.
WORDS_PER_MINUTE = 200
# Code: an assumption, 8 lines a minute, about the careful rate of code review (SmartBear's
# published guidance: under 500 lines an hour). Non-blank lines, the cell magic left out.
CODE_LINES_PER_MINUTE = 8
# Typed code: an assumption, 120 characters a minute, about half the 52 words (of 5 characters) a
# minute Dhakal et al. measured for copying English text (CHI 2018): code is full of symbols.
TYPED_CHARS_PER_MINUTE = 120
# Lessons whose %%writefile cells the learner types. None: lesson 01's cells are written out and
# the lesson says "read the code, then the sentence after it".
TYPED: set[str] = set()
# An assumption: to think, type the answer, run the check and read its verdict.
EXERCISE_MINUTES = 5

TIME = re.compile(r"^\*\*Time:\*\*.*$", re.M)
HIDDEN = re.compile(r"<!-- (nav|next) -->.*?<!-- /\1 -->|<details>.*?</details>|<!--.*?-->", re.S)
CHECK_CALL = re.compile(r"^\s*checks\.check_\w+\(", re.M)


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def words(markdown: str) -> int:
    """Words a learner reads in a markdown cell: no navigation, solution, comment, time line, or link target."""
    text = TIME.sub(" ", HIDDEN.sub(" ", markdown))
    text = re.sub(r"\]\([^)\s]*\)", "]", text)
    return len(re.findall(r"\S*\w\S*", text))


def code_lines(source: str) -> int:
    """Non-blank lines of a code cell, without a leading %% cell magic."""
    lines = [line for line in source.splitlines() if line.strip()]
    return len(lines) - (1 if lines and lines[0].startswith("%%") else 0)


def seconds(cell: dict) -> float:
    """A code cell's run time, shell.execute_reply - iopub.execute_input (0 if not recorded)."""
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                      for k in ("iopub.execute_input", "shell.execute_reply"))
    except (KeyError, ValueError):
        return 0.0
    return max((end - start).total_seconds(), 0.0)


def parts(nb: dict, typed: bool = False) -> dict:
    """The model's minutes: "read", "code", "exercises", "computer", and "total" (rounded up to 5)."""
    read = code = run = 0.0
    exercises = 0
    for cell in nb["cells"]:
        source = _source(cell)
        if cell["cell_type"] == "markdown":
            read += words(source) / WORDS_PER_MINUTE
        elif cell["cell_type"] == "code":
            if typed and source.startswith("%%writefile"):
                code += len(source.partition("\n")[2]) / TYPED_CHARS_PER_MINUTE
            else:
                code += code_lines(source) / CODE_LINES_PER_MINUTE
            exercises += len(CHECK_CALL.findall(source))
            run += seconds(cell) / 60
    found = {"read": read, "code": code, "exercises": exercises * EXERCISE_MINUTES, "computer": run}
    return {**found, "count": exercises, "total": 5 * math.ceil(sum(found.values()) / 5)}


def line(p: dict) -> str:
    """The generated `**Time:**` line for the parts `parts` returns."""
    computer = "under a minute" if p["computer"] < 1 else f"{p['computer']:.0f}"
    exercise = {0: "no exercise", 1: f"{p['exercises']} for the exercise"}.get(
        p["count"], f"{p['exercises']} for {p['count']} exercises")
    return (f"**Time:** about {p['total']} minutes ({p['read']:.0f} to read the prose, {p['code']:.0f} to read "
            f"the code, {exercise}, {computer} for the computer on the CI machine; from "
            "`scripts/lesson_times.py`).")


def retime(text: str, new: str) -> str:
    """TEXT with its time line replaced by NEW; a hand-typed line's sentences after the first go on a line of their own."""
    old = TIME.search(text)
    rest = "" if "lesson_times.py" in old.group(0) else old.group(0).partition(". ")[2].strip()
    return text[:old.start()] + new + ("\n" + rest if rest else "") + text[old.end():]


def render(check: bool) -> list[str]:
    stale = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = nb["cells"][0]
        text = _source(first)
        new = retime(text, line(parts(nb, typed=path.name[:2] in TYPED)))
        if new != text:
            stale.append(path.name)
            if not check:
                first["source"] = new.splitlines(keepends=True)
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return stale


if __name__ == "__main__":
    from rewriter import main
    sys.exit(main(render))
