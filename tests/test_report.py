"""scripts/report_index.py, the dry run's report, on a small output folder made here: the lessons
of this run only, with status, times, links and plots; the images with sizes and the ratio."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from scripts_loader import load_script

report = load_script("report_index")

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def code(text: str, outputs=(), seconds: float | None = None) -> dict:
    metadata = {}
    if seconds is not None:
        metadata["execution"] = {"iopub.execute_input": "2026-12-01T10:00:00.000000Z",
                                 "shell.execute_reply": f"2026-12-01T10:00:{seconds:09.6f}Z"}
    return {"cell_type": "code", "metadata": metadata, "source": text, "outputs": list(outputs),
            "execution_count": 1}


def lesson(title: str, *cells: dict) -> dict:
    first = markdown(f"# {title}\n\n**Time:** 20 minutes.\n\n**Objectives**\n- x\n<!-- a comment of many words here -->")
    return {"cells": [first, *cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


IMAGES = [
    {"name": "dockerlab/single-stage:latest", "size_bytes": 900_000_000, "compressed_bytes": None,
     "image_store": "classic", "size_over_binary": 500.0, "variant": "single-stage"},
    {"name": "dockerlab/multi-stage:latest", "size_bytes": 1_800_000, "compressed_bytes": 1_100_000,
     "image_store": "classic", "size_over_binary": 1.0, "variant": "multi-stage"},
    {"name": "dockerlab/multi-stage-build:latest", "size_bytes": 900_000_000, "image_store": "classic",
     "variant": "multi-stage"},
    {"name": "<none>", "size_bytes": 5, "image_store": "classic"},
]


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    """An output folder as tutorial.sh leaves it: two notebooks of this run (one failed), a stale
    executed copy of an earlier run, and the image list."""
    (tmp_path / "executed").mkdir()
    (tmp_path / "html").mkdir()
    plot = {"output_type": "display_data", "data": {"image/png": base64.b64encode(PNG).decode(), "text/plain": "<Figure>"},
            "metadata": {}}
    good = lesson("01 · Good", markdown("## Exercise: try\n" + "word " * 395),
                  code("%%writefile a.go\npackage main\n\nfunc main() {}", seconds=1.5),
                  code("x = 1\nx", [plot], seconds=58.5))
    bad = lesson("02 · Bad", code("1/0", [{"output_type": "error", "ename": "ZeroDivisionError",
                                           "evalue": "division by zero", "traceback": []}]))
    stale = lesson("99 · Stale", code("1", [plot]))
    for name, nb in (("01-good", good), ("02-bad", bad), ("99-stale", stale)):
        (tmp_path / "executed" / f"{name}.ipynb").write_text(json.dumps(nb))
    (tmp_path / "html" / "01-good.html").write_text("<html>")
    (tmp_path / "html" / "99-stale.html").write_text("<html>")
    run = {"started": "2026-12-01T10:00:00+0000", "finished": "2026-12-01T10:05:00+0000", "docker_host": "",
           "notebooks": [
               {"notebook": "01-good", "seconds": 61.0, "ok": True, "executed": "executed/01-good.ipynb",
                "html": "html/01-good.html"},
               {"notebook": "02-bad", "seconds": 2.0, "ok": False, "executed": "executed/02-bad.ipynb",
                "log": "02-bad.log", "html": "html/02-bad.html"}]}
    (tmp_path / "run.json").write_text(json.dumps(run))
    (tmp_path / "images.json").write_text(json.dumps(IMAGES))
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "99-stale-1.png").write_bytes(PNG)
    return tmp_path


def test_estimate_is_the_model_of_the_stated_times_on_this_runs_timings():
    nb = lesson("01 · Good", markdown("word " * 395),
                code("%%writefile a.go\npackage main\n\nfunc main() {}", seconds=1.5),
                code("x = 1\nchecks.check_x(x)", seconds=58.5))
    estimate = report.estimate_minutes(nb)
    times = load_script("lesson_times")
    # the first cell: 4 words outside the comment and the time line; then 395 words
    assert estimate["read"] == pytest.approx((4 + 395) / times.WORDS_PER_MINUTE)
    assert estimate["code"] == pytest.approx(4 / times.CODE_LINES_PER_MINUTE)
    assert (estimate["count"], estimate["exercises"]) == (1, times.EXERCISE_MINUTES)
    assert estimate["computer"] == pytest.approx(1.0)
    assert estimate["total"] == 10  # 2.0 + 0.5 + 5 + 1, rounded up to 5 minutes


def test_stated_minutes_title_and_plots():
    nb = lesson("03 · Plots", code("p", [{"output_type": "display_data", "data": {"image/png": [base64.b64encode(PNG).decode()]}}]))
    assert report.stated_minutes(nb) == 20
    assert report.stated_minutes({"cells": [markdown("# x\n\n**Time:** about 45 minutes.")]}) == 45
    assert report.stated_minutes({"cells": [markdown("# x")]}) is None
    assert report.title(nb, "fallback") == "03 · Plots"
    assert report.plots(nb) == [PNG]


def test_ratio_uses_the_two_final_images_only():
    found = report.ratio(IMAGES)
    assert found["single"]["name"] == "dockerlab/single-stage:latest"
    assert found["multi"]["name"] == "dockerlab/multi-stage:latest"
    assert found["times"] == pytest.approx(500)
    assert report.ratio(IMAGES[2:]) is None


def test_the_page_shows_this_run_only(out: Path):
    assert report.main(out) == 0
    page = (out / "index.html").read_text()
    assert "2 lessons, 1 ok, 1 failed" in page
    assert '<a href="html/01-good.html">01 · Good</a>' in page
    assert "02 · Bad" in page and 'href="html/02-bad.html"' not in page  # no page was written for it
    assert '<a href="02-bad.log">log</a>' in page and "ZeroDivisionError: division by zero" in page
    assert "61 s" in page and "20 min" in page
    assert "Stale" not in page and not (out / "plots" / "99-stale-1.png").exists()
    assert (out / "plots" / "01-good-1.png").read_bytes() == PNG
    assert '<img src="plots/01-good-1.png"' in page
    assert "900.00 MB" in page and "1.80 MB" in page and "500 times" in page
    assert "&lt;none&gt;" not in page  # untagged leftovers are not listed
    assert "<script" not in page
    assert "prepare.log" not in page


def test_a_failed_prepare_is_said(out: Path):
    (out / "prepare.failed").touch()
    report.main(out)
    assert '<a href="prepare.log">prepare.log</a>' in (out / "index.html").read_text()


def test_a_run_without_images_or_lessons_still_writes_a_page(tmp_path: Path):
    assert report.main(tmp_path) == 0
    page = (tmp_path / "index.html").read_text()
    assert "No lesson ran" in page and "images.json is missing" in page
