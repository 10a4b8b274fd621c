"""scripts/headless.py on small notebooks built here: a real kernel, no engine."""

from __future__ import annotations

import nbformat

from scripts_loader import load_script

headless = load_script("headless")


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_notebook_runs_in_its_own_folder_and_its_copy_keeps_the_outputs(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "beside.txt").write_text("found")
    path = _notebook(tmp_path / "lessons" / "01-ok.ipynb", "open('beside.txt').read()", "import os\nos.environ.get('LESSON_ENV')")
    record = headless.run(path, tmp_path / "out", env={"LESSON_ENV": "given", "PATH": "/usr/bin:/bin"}, html=True)
    assert record["ok"] and "log" not in record and record["seconds"] > 0
    executed = nbformat.read(record["executed"], as_version=4)
    assert [c.outputs[0]["data"]["text/plain"] for c in executed.cells] == ["'found'", "'given'"]
    assert all("shell.execute_reply" in c.metadata["execution"] for c in executed.cells)
    assert "found" in (tmp_path / "out" / "html" / "01-ok.html").read_text()
    assert nbformat.read(path, as_version=4).cells[0].outputs == []  # the notebook itself is never written


def test_a_failing_cell_is_logged_and_the_run_goes_on(tmp_path, capsys):
    bad = _notebook(tmp_path / "01-bad.ipynb", "x = 1", "1 / 0", "never = True")
    good = _notebook(tmp_path / "02-good.ipynb", "2 + 2")
    assert headless.main([str(tmp_path / "out"), str(bad), str(good)]) == 1
    log = (tmp_path / "out" / "01-bad.log").read_text()
    assert "ZeroDivisionError" in log and "\x1b[" not in log
    executed = nbformat.read(tmp_path / "out" / "executed" / "01-bad.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["ename"] == "ZeroDivisionError" and executed.cells[2].outputs == []
    assert (tmp_path / "out" / "executed" / "02-good.ipynb").is_file()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("tutorial: running 01-bad ... FAILED (see ") and lines[1].startswith("tutorial: running 02-good ... ok (")
