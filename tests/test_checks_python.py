"""Lesson 08's exercise checker, `checks.check_html_module`, on its solution and on wrong answers,
and `python_case.parse_verbose`, which reads the ``python -v`` output it compares.

The pure tests read a recorded ``python -v`` output (trimmed to the lines that matter, as
Debian 12's Python 3.11 writes them); the last test runs the real checker on the lesson's
multi-stage Python image, built under a prefix of its own and removed afterwards.
"""

from __future__ import annotations

import pytest

import dockerlab
from dockerlab import checks, naming, python_case, run_checks

# python -v /app/main.py 1+2, in the distroless-like image (no __pycache__: "code object from" a .py)
PLAIN = """\
import '_thread' # <class '_frozen_importlib.BuiltinImporter'>
import 'posix' # <class '_frozen_importlib.BuiltinImporter'>
# code object from /usr/lib/python3.11/encodings/__init__.py
import 'codecs' # <class '_frozen_importlib.FrozenImporter'>
# code object from /usr/lib/python3.11/encodings/aliases.py
import 'encodings.aliases' # <_frozen_importlib_external.SourceFileLoader object at 0x7f1e39570410>
import 'encodings' # <_frozen_importlib_external.SourceFileLoader object at 0x7f1e3979b350>
import 'os' # <class '_frozen_importlib.FrozenImporter'>
import 'site' # <class '_frozen_importlib.FrozenImporter'>
# /app/__pycache__/calc.cpython-311.pyc matches /app/calc.py
# code object from '/app/__pycache__/calc.cpython-311.pyc'
import 'math' # <class '_frozen_importlib.BuiltinImporter'>
import 'calc' # <_frozen_importlib_external.SourceFileLoader object at 0x7f1e395b0f10>
"""
# The same with --html: MarkupSafe and what it imports (here from __pycache__: "matches" lines).
HTML = PLAIN + """\
# /venv/lib/python3.11/site-packages/markupsafe/__pycache__/__init__.cpython-311.pyc matches /venv/lib/python3.11/site-packages/markupsafe/__init__.py
# code object from '/venv/lib/python3.11/site-packages/markupsafe/__pycache__/__init__.cpython-311.pyc'
# /usr/lib/python3.11/__pycache__/string.cpython-311.pyc matches /usr/lib/python3.11/string.py
# code object from '/usr/lib/python3.11/__pycache__/string.cpython-311.pyc'
import '_sre' # <class '_frozen_importlib.BuiltinImporter'>
# code object from /usr/lib/python3.11/re/_parser.py
import 're._parser' # <_frozen_importlib_external.SourceFileLoader object at 0x7f1e395c0a10>
import 'string' # <_frozen_importlib_external.SourceFileLoader object at 0x7f1e395bd9d0>
# code object from /usr/lib/python3.11/typing.py
# extension module '_typing' loaded from '/usr/lib/python3.11/lib-dynload/_typing.cpython-311-x86_64-linux-gnu.so'
# extension module '_typing' executed from '/usr/lib/python3.11/lib-dynload/_typing.cpython-311-x86_64-linux-gnu.so'
import '_typing' # <_frozen_importlib_external.ExtensionFileLoader object at 0x7f1e395d0110>
import 'typing' # <_frozen_importlib_external.SourceFileLoader object at 0x7f1e395c1b50>
# extension module 'markupsafe._speedups' loaded from '/venv/lib/python3.11/site-packages/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so'
import 'markupsafe' # <_frozen_importlib_external.SourceFileLoader object at 0x7f1e395b1a90>
"""


def wrong(feedback: checks.Feedback, *because: str) -> None:
    assert not feedback.ok, feedback
    assert "Not yet" in feedback._repr_markdown_()
    assert any(all(part in line for part in because) for line in feedback.lines if line.startswith("✗")), feedback.lines


def test_parse_verbose_names_each_module_once_with_its_file():
    frame = python_case.parse_verbose(HTML)
    rows = {r.module: (r.kind, r.path, r.where) for r in frame.itertuples()}
    assert len(frame) == len(rows)
    assert rows["encodings"] == ("source", "/usr/lib/python3.11/encodings/__init__.py", "standard library")
    assert rows["re._parser"] == ("source", "/usr/lib/python3.11/re/_parser.py", "standard library")
    assert rows["_typing"] == ("extension", "/usr/lib/python3.11/lib-dynload/_typing.cpython-311-x86_64-linux-gnu.so",
                               "standard library")
    assert rows["markupsafe"][2] == rows["markupsafe._speedups"][2] == "venv"
    assert rows["calc"] == ("source", "/app/calc.py", "app")
    assert rows["os"] == ("frozen", "", "interpreter") and rows["math"] == ("built in", "", "interpreter")


def _verdict(answer):
    return run_checks._html_module(answer, html=python_case.parse_verbose(HTML), plain=python_case.parse_verbose(PLAIN))


def test_the_solution_passes():
    # The lesson's solution: the modules of the --html run that the plain run lacks, from the standard library.
    html, plain = python_case.parse_verbose(HTML), python_case.parse_verbose(PLAIN)
    only_html = html[~html["module"].isin(plain["module"]) & (html["where"] == "standard library")]
    assert list(only_html["module"]) == ["string", "re._parser", "typing", "_typing"]
    for answer in only_html["module"]:
        feedback = _verdict(answer)
        assert feedback.ok and "Well done" in feedback._repr_markdown_(), feedback
    assert "/usr/lib/python3.11/typing.py" in _verdict(" typing ").lines[0]


@pytest.mark.parametrize("answer, because", [
    ("encodings", "plain run too"),  # every run needs it, --html or not
    ("markupsafe", "from the venv"),  # the dependency itself, not the standard library
    ("_sre", "built in into the interpreter's binary"),
    ("json", "does not load `json`"),
    (..., "not answered yet"),
    ("", "not answered yet"),
])
def test_wrong_answers_say_why(answer, because):
    if answer is ... or answer == "":
        wrong(checks.check_html_module(answer, image="dockerlab-test/not-needed:never"), because)
    else:
        wrong(_verdict(answer), because)


def test_the_checker_on_the_lessons_image(engine, test_prefix, remove_images):
    """On the real multi-stage Python image: the solution passes, two wrong answers fail."""
    client, _ = engine
    python_case.fetch_sources()
    image = dockerlab.build("python-multi-stage", context=python_case.PYCALC, client=client, engine=engine[1])
    try:
        assert checks.check_html_module("typing", image=image.tag).ok
        wrong(checks.check_html_module("encodings", image=image.tag), "plain run too")
        wrong(checks.check_html_module("markupsafe._speedups", image=image.tag), "from the venv")
    finally:
        remove_images([image.tag])  # by its name: the layers it shares with the lesson's image stay
        assert not client.images.list(filters=naming.label_filter())
