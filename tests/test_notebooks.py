"""The lessons as a whole: generated navigation, exercise conventions, and the no-engine drill.

nbval itself runs every notebook (same pytest command, ``--nbval``); these tests check what
nbval cannot see.
"""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def test_there_are_lessons():
    assert LESSONS and LESSONS[0].name.startswith("00-")


def test_navigation_is_current():
    proc = subprocess.run([sys.executable, "scripts/navigation.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"{proc.stdout}{proc.stderr} (run: python scripts/navigation.py)"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_shape(path):
    """Objectives up front, key points at the end, outputs from one real run, reasons for ignores."""
    nb = json.loads(path.read_text())
    first, last = ("".join(nb["cells"][i]["source"]) for i in (0, -1))
    assert first.startswith("# ") and "**Time:**" in first and "**Objectives**" in first
    assert "## Key points" in "".join("".join(c["source"]) for c in nb["cells"][-2:]) or "## Key points" in last
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), "commit a Restart & Run All"
    for cell in code:
        assert not any(o["output_type"] == "error" for o in cell["outputs"])
        assert "NBVAL" not in "".join(cell["source"]), f"{path.name}: nbval's markers go in the cell's tags"
        if "nbval-ignore-output" in cell["metadata"].get("tags", []):  # and the metadata says why
            reason = cell["metadata"].get("ignore_output_because", "")
            assert len(reason) > 20, f"{path.name}: an ignored output needs its reason (ignore_output_because)"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_engine_shows_one_message_in_the_first_code_cell(path, monkeypatch):
    """Drill: with DOCKER_HOST pointing nowhere, the first code cell says what to do, no traceback."""
    nb = nbformat.read(path, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells = [nb.cells[first]]
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    NotebookClient(nb, timeout=600, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(errors) == 1, nb.cells[0].outputs
    (error,) = errors
    assert error.ename == "EngineUnavailable"
    assert error.traceback == [f"EngineUnavailable: {error.evalue}"]
    assert "DOCKER_HOST=unix:///nonexistent.sock" in error.evalue and "unset DOCKER_HOST" in error.evalue


def test_the_lessons_write_exactly_the_committed_calculator():
    """Every file a %%writefile cell writes in calculator/ (the Go core in lesson 01, in parts that
    `-a` appends; its .dockerignore in lesson 03) is, byte for byte, the committed file; every other
    file of calculator/ is committed, and lesson 01 shows it (its listing of the files names it)."""
    import re

    written, shown = {}, ""
    for name in ("01-calculator", "03-multi-stage"):
        for cell in json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code":
                continue
            if name == "01-calculator":
                shown += "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                                 for o in cell["outputs"])
            first, _, body = source.partition("\n")
            words = first.split()
            if words[:1] != ["%%writefile"] or not words[-1].startswith("../calculator/"):
                continue
            file = words[-1].split("../calculator/", 1)[1]
            # %%writefile writes the cell's body with one final newline; -a appends it
            part = body.rstrip("\n") + "\n"
            if "-a" in words[1:-1]:
                assert file in written, f"{name}: {file} is appended to before it is written"
                written[file] += part
            else:
                assert file not in written, f"{name}: {file} is written twice"
                written[file] = part
    tracked = subprocess.run(["git", "ls-files", "calculator"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    committed = {Path(p).name for p in tracked} or {p.name for p in (ROOT / "calculator").iterdir() if p.is_file()}
    on_disk = {p.name for p in (ROOT / "calculator").iterdir() if p.is_file()}
    assert set(written) <= committed, f"written but not committed: {sorted(set(written) - committed)}"
    assert on_disk <= committed, f"in calculator/ but not committed: {sorted(on_disk - committed)}"
    for file, text in written.items():
        assert (ROOT / "calculator" / file).read_text() == text, file
    for file in sorted(committed - set(written)):
        assert re.search(rf"(?<![\w.]){re.escape(file)}(?![\w.])", shown), f"lesson 01 neither writes nor shows {file}"
