"""Learners for the drill of tests/test_drills.py: a checkout of their own, a prefix of their own,
every lesson run the way a learner runs it, in JupyterLab in Chromium or headless."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import jupyterlab_learner

ROOT = Path(__file__).resolve().parent.parent
# Every lesson, as a room runs them: the Go tutorial, the Python case and BuildKit.
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
# What a learner's checkout does not carry: the machine's venv, git's objects, outputs of a run.
NOT_IN_A_CHECKOUT = shutil.ignore_patterns(".venv", ".git", "output", "__pycache__", "*.egg-info",
                                           ".ipynb_checkpoints", "calc", "*.tar",
                                           "wheelhouse")  # lesson 08 fetches its own, as on a new checkout
BESIDE_NBVAL = pytest.StashKey["Learner"]()  # the learner conftest.py starts beside the notebooks
SCREENSHOTS = "browser"  # under the run's output folder: one screenshot per lesson of the learner in JupyterLab


def checkout(where: Path) -> Path:
    """A learner's own copy of the tutorial: lesson 01 writes into its checkout's calculator/,
    so two learners in one folder would write each other's files."""
    shutil.copytree(ROOT, where, ignore=NOT_IN_A_CHECKOUT)
    return where


def missing_browser() -> str | None:
    """What this machine lacks to run a learner in JupyterLab in Chromium, or None."""
    return jupyterlab_learner.missing()


def output_folder() -> Path:
    """The run's output folder: $DOCKERLAB_OUTPUT, default output/ of this checkout."""
    folder = Path(os.environ.get("DOCKERLAB_OUTPUT") or "output")
    return folder if folder.is_absolute() else ROOT / folder


@dataclass
class Learner:
    """One learner's run of every lesson: its prefix, its checkout, its process, and how it ran."""

    prefix: str
    tree: Path
    how: str  # "in JupyterLab" or "headless"
    proc: subprocess.Popen

    @property
    def log(self) -> Path:
        return self.tree.parent / f"{self.tree.name}.log"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def failures(self) -> list[str]:
        """What went wrong, once the run has ended: empty if every lesson passed."""
        if self.how == "in JupyterLab":
            report = self.tree / "output" / "jupyterlab.json"
            records = json.loads(report.read_text()) if report.exists() else []
            failed = [f"{r['notebook']}: {r['error']}" for r in records if not r["ok"]]
            ran = {r["notebook"] for r in records}
            failed += [f"{Path(name).stem}: did not run" for name in LESSONS if Path(name).stem not in ran]
        else:
            run = self.tree / "output" / "run.json"
            records = json.loads(run.read_text())["notebooks"] if run.exists() else []
            failed = [f"{r['notebook']}: see {self.tree / 'output' / r['log']}" for r in records if not r["ok"]]
            failed += [f"{Path(name).stem}: did not run" for name in LESSONS[len(records):]]
        return failed

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=60)

    def clean(self) -> subprocess.CompletedProcess:
        """`python -m dockerlab clean` as this learner: removes its images, and nothing else."""
        return subprocess.run([sys.executable, "-m", "dockerlab", "clean"], cwd=self.tree, timeout=300,
                              env=environment(self.prefix, self.tree), capture_output=True, text=True)


def environment(prefix: str, tree: Path) -> dict:
    """A learner's environment: its prefix, and its own dockerlab (builds read its calculator/)."""
    env = dict(os.environ, DOCKERLAB_PREFIX=prefix, PYTHONPATH=str(tree))
    env.pop("DOCKERLAB_OUTPUT", None)
    return env


def start(prefix: str, tree: Path, how: str) -> Learner:
    """Start every lesson in order under `prefix`, from checkout `tree`: headless as
    scripts/tutorial.sh runs them (copies in tree/output/), or in JupyterLab in Chromium
    (tests/jupyterlab_learner.py; screenshots in the run's output folder)."""
    notebooks = [str(tree / "notebooks" / name) for name in LESSONS]
    if how == "headless":
        command = [sys.executable, str(tree / "scripts" / "headless.py"), str(tree / "output"), *notebooks]
    else:
        (tree / "output").mkdir(exist_ok=True)
        command = [sys.executable, str(ROOT / "tests" / "jupyterlab_learner.py"), str(tree),
                   str(output_folder() / SCREENSHOTS), str(tree / "output" / "jupyterlab.json"), *notebooks]
    with (tree.parent / f"{tree.name}.log").open("w") as log:  # the child keeps its own handle
        proc = subprocess.Popen(command, cwd=tree, env=environment(prefix, tree), stdout=log,
                                stderr=subprocess.STDOUT)
    return Learner(prefix, tree, how, proc)
