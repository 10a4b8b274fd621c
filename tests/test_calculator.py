"""The Go calculator in calculator/: vet, gofmt, its Go tests, a short fuzz run, and the built binary."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CALCULATOR = Path(__file__).resolve().parent.parent / "calculator"
ENV = dict(os.environ, GOFLAGS="-mod=mod", CGO_ENABLED="0")


@pytest.fixture(scope="module")
def go() -> str:
    """The go command, or a skip when it is not installed (CI installs it)."""
    path = shutil.which("go")
    if path is None:
        pytest.skip("go is not on PATH")
    return path


def _run(args: list[str], *, timeout: float = 300, cwd: Path = CALCULATOR,
         stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run args with the Go environment, capturing text output."""
    return subprocess.run(args, cwd=cwd, env=ENV, input=stdin, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _ok(args: list[str], *, timeout: float = 300) -> str:
    """Run args in calculator/ and return stdout, failing the test on a nonzero exit."""
    proc = _run(args, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def test_vet(go: str) -> None:
    """go vet finds nothing."""
    _ok([go, "vet", "./..."])


def test_gofmt(go: str) -> None:
    """Every Go file is gofmt-formatted."""
    goroot = _ok([go, "env", "GOROOT"]).strip()
    gofmt = shutil.which("gofmt") or str(Path(goroot) / "bin" / "gofmt")
    assert _ok([gofmt, "-l", "."]) == ""


def test_go_test(go: str) -> None:
    """The Go unit tests pass."""
    _ok([go, "test", "-count=1", "./..."])


def test_fuzz(go: str) -> None:
    """A short fuzz run of FuzzParse finds nothing."""
    _ok([go, "test", "-run=^$", "-fuzz=FuzzParse", "-fuzztime=10s"], timeout=600)


def test_binary(go: str, tmp_path: Path) -> None:
    """The built calc evaluates arguments and standard input, reports errors, and knows its version."""
    calc = str(tmp_path / "calc")
    _ok([go, "build", "-ldflags", "-X main.version=test", "-o", calc, "."])

    proc = _run([calc, "2", "+", "3"], timeout=30, cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "5\n", "")

    proc = _run([calc], timeout=30, cwd=tmp_path, stdin="1+1\n\n# c\n2*3\n")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "2\n6\n", "")

    proc = _run([calc, "2 * (3 +"], timeout=30, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("calc: ")
    assert "goroutine" not in proc.stderr and "panic" not in proc.stderr

    proc = _run([calc, "--version"], timeout=30, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "calc test\n")

    proc = _run([calc, "-x"], timeout=30, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("calc: unknown flag")
