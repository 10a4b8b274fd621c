"""scripts/lesson_times.py, the lessons' stated times: its parts on small notebooks made here,
its rewrite of a first cell, and that the committed lessons state what it computes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts_loader import load_script

times = load_script("lesson_times")
ROOT = Path(__file__).resolve().parent.parent


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def code(text: str, seconds: float | None = None) -> dict:
    metadata = {}
    if seconds is not None:
        metadata["execution"] = {"iopub.execute_input": "2026-12-01T10:00:00.000000Z",
                                 "iopub.status.busy": "2026-12-01T09:00:00.000000Z",
                                 "shell.execute_reply": f"2026-12-01T10:00:{seconds:09.6f}Z"}
    return {"cell_type": "code", "metadata": metadata, "source": text, "outputs": [], "execution_count": 1}


def lesson(*cells: dict, time: str = "**Time:** 20 minutes.") -> dict:
    first = markdown(f"# 99 · A lesson\n\n{time}\n\n<!-- nav -->\n[← a](a.ipynb) · b →\n<!-- /nav -->")
    return {"cells": [first, *cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_words_leave_out_navigation_solutions_comments_time_and_links():
    assert times.words("Read [the map](../README.md#lessons) - then `go vet`.") == 6
    assert times.words("**Time:** about 5 minutes (3 to read).\nOne two") == 2
    assert times.words("a <!-- nav -->\nx y z\n<!-- /nav --> b <!-- next -->q<!-- /next -->") == 2
    assert times.words("<details>\n<summary>Solution</summary>\nmany words\n</details>\nc <!-- hidden words -->") == 1


def test_code_lines_and_seconds():
    assert times.code_lines("%%writefile a.go\npackage main\n\nfunc main() {}\n") == 2
    assert times.code_lines("x = 1\n\n  \nx") == 2
    assert times.seconds(code("x", seconds=1.5)) == pytest.approx(1.5)
    assert times.seconds(code("x")) == 0.0


def test_parts_and_rounding_up_to_five_minutes():
    words = "word " * (times.WORDS_PER_MINUTE * 2)
    nb = lesson(markdown(words + "<details>" + "hidden " * 1000 + "</details>"),
                code("\n".join(["x = 1"] * times.CODE_LINES_PER_MINUTE), seconds=30),
                code("checks.check_thing(x)", seconds=29.5), code("%%writefile f.go\npackage main"))
    p = times.parts(nb)
    # the first cell: its title and the nav's words are out, "# 99 · A lesson" counts 3 words
    assert p["read"] == pytest.approx(2 + 3 / times.WORDS_PER_MINUTE)
    assert p["code"] == pytest.approx(1 + 2 / times.CODE_LINES_PER_MINUTE)
    assert (p["count"], p["exercises"]) == (1, times.EXERCISE_MINUTES)
    assert p["computer"] == pytest.approx(59.5 / 60)
    assert p["total"] == 10  # 2.015 + 1.25 + 5 + 0.99 = 9.26, rounded up to 5 minutes
    assert times.parts(nb, typed=True)["code"] == pytest.approx(1 + 1 / times.CODE_LINES_PER_MINUTE
                                                                + len("package main") / times.TYPED_CHARS_PER_MINUTE)
    assert times.parts(lesson())["total"] == 5
    assert times.parts(lesson(markdown("word " * times.WORDS_PER_MINUTE * 5)))["total"] == 10


def test_the_line_keeps_what_follows_the_first_sentence_and_is_stable():
    p = {"read": 6.4, "code": 42.0, "exercises": 5, "count": 1, "computer": 0.4, "total": 55}
    new = times.line(p)
    assert new.startswith("**Time:** about 55 minutes (6 to read the prose, 42 to read the code, 5 for the exercise, "
                          "under a minute for the computer on the CI machine")
    text = "# t\n\n**Time:** 20 minutes. Two builds are slow.\n\n**Objectives**"
    once = times.retime(text, new)
    assert once == f"# t\n\n{new}\nTwo builds are slow.\n\n**Objectives**"
    assert times.retime(once, new) == once


def test_rewriting_touches_the_first_cell_only_and_twice_is_byte_identical(tmp_path, monkeypatch):
    monkeypatch.setattr(times, "NOTEBOOKS", tmp_path)
    nb = lesson(markdown("Some words."), code("checks.check_thing(x)", seconds=2.0))
    path = tmp_path / "99-a-lesson.ipynb"
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    assert times.render(check=True) == [path.name] and json.loads(path.read_text()) == nb
    assert times.render(check=False) == [path.name]
    written = path.read_bytes()
    assert times.render(check=False) == [] and path.read_bytes() == written
    new = json.loads(written)
    assert new["cells"][1:] == nb["cells"][1:]
    assert "**Time:** about 10 minutes" in "".join(new["cells"][0]["source"])


def test_the_lessons_state_their_computed_times():
    proc = subprocess.run([sys.executable, "scripts/lesson_times.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"{proc.stdout}{proc.stderr} (run: python scripts/lesson_times.py)"
