"""The Python calculator in pycalc/ (lesson 08): the Go calculator's answers, errors and exit codes.

Pure: no engine. The tables follow calculator/eval_test.go and calculator/main_test.go; where Go
is installed, one more test builds the Go calculator and compares the two on the same inputs.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import os
import random
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYCALC = ROOT / "pycalc"
sys.path.insert(0, str(PYCALC))
import calc  # noqa: E402  (pycalc/calc.py)

_spec = importlib.util.spec_from_file_location("pycalc_main", PYCALC / "main.py")
cli = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli)


def run(args: list[str], stdin: bytes = b"") -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(args, io.BytesIO(stdin), out, err)
    return out.getvalue(), err.getvalue(), code


VALUES = [
    ("2 + 3", "5"), ("2*(3+4)", "14"), ("1+2*3", "7"), ("10-4-3", "3"), ("100/10/5", "2"), ("7/2", "3.5"),
    ("7%3", "1"), ("-7%3", "-1"), ("5.5%2", "1.5"), ("2^10", "1024"), ("2^3^2", "512"), ("-2^2", "-4"),
    ("(-2)^2", "4"), ("2^-1", "0.5"), ("2^0.5", "1.4142135623730951"), ("-3", "-3"), ("--3", "3"),
    ("+-+3", "-3"), ("1 - -1", "2"), (".5+.5", "1"), ("1e3", "1000"), ("1.5E-2", "0.015"),
    ("0.1+0.2", "0.30000000000000004"), ("1/3", "0.3333333333333333"), ("2/3*3", "2"), ("-0", "0"),
    ("0*-1", "0"), ("1e-400", "0"), ("123456789*1000", "123456789000"), ("999999999999999", "999999999999999"),
    ("1e15", "1e+15"), ("2^60", "1.152921504606847e+18"), ("1e300", "1e+300"), ("1/100000", "1e-05"),
    ("0.0001", "0.0001"), ("1e14", "100000000000000"), ("-1e-7", "-1e-07"), ("5e-324", "5e-324"),
]


@pytest.mark.parametrize("expression, value", VALUES)
def test_values_are_the_go_calculators(expression, value):
    assert calc.calc(expression) == value
    assert run(["--", expression]) == (value + "\n", "", 0)


ERRORS = [
    ("", "col 1: unexpected end of input, want a number or '('"), ("(", "col 2: unexpected end of input"),
    ("((1)", "col 5: unexpected end of input, want ')'"), (")", "col 1: unexpected ')'"),
    ("1)", "col 2: unmatched ')'"), ("2 3", "col 3: unexpected number 3, want an operator"),
    ("(1)(2)", "col 4: unexpected '('"), ("1..2", 'col 1: malformed number "1."'),
    ("1e-x", 'col 1: malformed number "1e-"'), ("2x", "col 2: unexpected character 'x'"),
    ("2 × 3", "col 3: unexpected character '×'"), ("٣", "col 1: unexpected character '٣'"),
    ("1\x1b[31m", "col 2: unexpected character '\\x1b'"), ("1+\udcff", "col 3: unexpected character '\\xff'"),
    ("1/0", "col 2: division by zero"), ("1 % 0", "col 3: modulo by zero"), ("0/0", "col 2: division by zero"),
    ("1e400", "col 1: number 1e400 is out of range"), ("1e308*10", "col 6: result out of range"),
    ("10^400", "col 3: result out of range"), ("0^-1", "col 2: result out of range"),
    ("(-8)^(1/3)", "col 5: result is not a number"), ("(" * 4096, "col 1001: expression nested too deeply"),
    ("-" * 2000 + "1", "col 1001: expression nested too deeply"),
    ("1+" * 2000 + "1", "col 2000: expression nested too deeply (more than 1000 levels)"),
]


@pytest.mark.parametrize("expression, message", ERRORS)
def test_errors_are_the_go_calculators(expression, message):
    with pytest.raises(calc.CalcError) as raised:
        calc.calc(expression)
    assert str(raised.value).startswith(message)
    stdout, stderr, code = run(["--", expression])
    assert (stdout, code) == ("", 1) and stderr.startswith("calc: " + message)


def test_an_error_points_at_its_column():
    assert run(["2 * "]) == ("", "calc: col 5: unexpected end of input, want a number or '('\n  2 * \n      ^\n", 1)
    assert run([], b"1\t+ \x00\n")[1] == "calc: line 1: col 5: unexpected character '\\x00'\n  1 + \ufffd\n      ^\n"


@pytest.mark.parametrize("args, stdin, stdout, stderr, code", [
    (["2", "+", "3"], b"", "5\n", "", 0),
    (["--", "-2"], b"", "-2\n", "", 0),
    (["--", "-x"], b"", "", "calc: col 2: unexpected character 'x'", 1),
    (["-h"], b"", cli.USAGE, "", 0),
    (["-x"], b"", "", 'calc: unknown flag "-x"\nusage: calc', 2),
    (["--foo", "1"], b"", "", 'calc: unknown flag "--foo"', 2),
    (["1", "--help"], b"", "", "calc: col 5: unexpected character 'h'", 1),
    ([], b"1+1\n\n  # comment\n2*3\n", "2\n6\n", "", 0),
    ([], b"1\n2", "1\n2\n", "", 0),
    ([], b"1+1\r\n2\r\n", "2\n2\n", "", 0),
    ([], b"1+1\n2 +\n3*3\n", "2\n9\n", "calc: line 2: col 4: unexpected end of input", 1),
    ([], b"1\n" + b"1+" * 5000 + b"1\n2\n", "1\n2\n", "calc: line 2: line too long (more than 4096 bytes)\n", 1),
    ([], b"#" + b"x" * 5000 + b"\n5\n", "5\n", "calc: line 1: line too long", 1),
])
def test_the_command_line_is_the_go_calculators(args, stdin, stdout, stderr, code):
    got_out, got_err, got_code = run(args, stdin)
    assert (got_out, got_code) == (stdout, code)
    assert got_err.startswith(stderr) and (stderr or not got_err)


def test_version_names_python_and_the_compiled_extension():
    pytest.importorskip("markupsafe")
    stdout, _, code = run(["--version"])
    assert code == 0 and stdout.startswith(f"calc dev (Python {sys.version_info[0]}.{sys.version_info[1]}.")
    assert "MarkupSafe with" in stdout or "MarkupSafe without" in stdout


def test_html_escapes_the_expression():
    pytest.importorskip("markupsafe")
    assert run(["--html", "2 * (3 + 4)"]) == ("<p class=\"calc\"><code>2 * (3 + 4)</code> = <output>14</output></p>\n", "", 0)
    stdout, stderr, code = run(["--html", "2 <b> 3"])
    assert (stdout, code) == ("", 1)
    assert stderr == "<p class=\"calc error\"><code>2 &lt;b&gt; 3</code> calc: col 3: unexpected character &#39;&lt;&#39;</p>\n"
    assert run(["--html"], b"1+1\n<\n")[2] == 1


def test_plain_arithmetic_needs_only_the_standard_library():
    """calc.py imports math and sys, and main.py imports MarkupSafe only for --html and --version."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import main; print('markupsafe' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code, str(PYCALC)], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
    tree = ast.parse((PYCALC / "calc.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert imported == {"math", "sys"}


def test_numbers_print_in_the_shortest_form_that_reads_back():
    rng = random.Random(8)
    for _ in range(5000):
        value = struct.unpack("d", rng.randbytes(8))[0]
        if value != value or value in (float("inf"), float("-inf")):
            continue
        text = calc.format_number(value)
        assert float(text) == value or value == 0, (value, text)


def test_the_same_answers_as_the_go_calculator(tmp_path):
    go = shutil.which("go")
    if go is None:
        pytest.skip("go is not on PATH")
    binary = tmp_path / "calc"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=ROOT / "calculator", check=True, capture_output=True,
                   env={**os.environ, "CGO_ENABLED": "0"}, timeout=300)
    inputs = [e for e, _ in VALUES] + [e for e, _ in ERRORS if "\udcff" not in e] + ["2 ^ 0.5 * 3", "7 % -3", "1e-5 * 3"]
    for expression in inputs:
        go_run = subprocess.run([str(binary), "--", expression], capture_output=True, text=True)
        assert run(["--", expression]) == (go_run.stdout, go_run.stderr, go_run.returncode), expression
