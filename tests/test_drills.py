"""Drills: what a workshop room does to the tutorial. Two learners share one engine."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import docker
import nbformat

ROOT = Path(__file__).resolve().parent.parent
# Every lesson, as a room runs them: the Go tutorial, the Python case and BuildKit.
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
# What a learner's checkout does not carry: the machine's venv, git's objects, outputs of a run.
NOT_IN_A_CHECKOUT = shutil.ignore_patterns(".venv", ".git", "output", "__pycache__", "*.egg-info",
                                           ".ipynb_checkpoints", "calc", "*.tar",
                                           "wheelhouse")  # lesson 08 fetches its own, as on a new checkout


def checkout(where: Path) -> Path:
    """A learner's own copy of the tutorial: lesson 01 writes into its checkout's calculator/,
    so two learners in one folder would write each other's files."""
    shutil.copytree(ROOT, where, ignore=NOT_IN_A_CHECKOUT)
    return where


def run_lessons(prefix: str, tree: Path) -> subprocess.Popen:
    """Every lesson in order under `prefix`, from checkout `tree`, as scripts/tutorial.sh runs
    them (its own dockerlab on the path, so builds read its calculator/); copies in tree/output/."""
    env = dict(os.environ, DOCKERLAB_PREFIX=prefix, PYTHONPATH=str(tree))
    env.pop("DOCKERLAB_OUTPUT", None)
    notebooks = [str(tree / "notebooks" / name) for name in LESSONS]
    return subprocess.Popen([sys.executable, str(tree / "scripts" / "headless.py"), str(tree / "output"), *notebooks],
                            cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_learners_on_one_engine(tmp_path):
    """Every lesson, twice at once from two checkouts under two prefixes: both pass, each sees
    its own images, and each checkout's calculator is the one its lesson 01 wrote."""
    learners = {"drill-ada/": checkout(tmp_path / "ada"), "drill-bob/": checkout(tmp_path / "bob")}
    client = docker.from_env()
    others = {t for image in client.images.list() for t in image.tags if not t.startswith("drill-")}
    runs = {prefix: run_lessons(prefix, tree) for prefix, tree in learners.items()}
    try:
        for prefix, proc in runs.items():
            output, _ = proc.communicate(timeout=3600)
            assert proc.returncode == 0, f"{prefix}: {output[-3000:]}"
        for prefix, tree in learners.items():
            for lesson in LESSONS:
                nb = nbformat.read(tree / "output" / "executed" / lesson, as_version=4)
                errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
                assert not errors, (prefix, lesson, errors)
            for source in (ROOT / "calculator").glob("*.go"):
                assert (tree / "calculator" / source.name).read_text() == source.read_text(), (prefix, source.name)
            tags = {t for image in client.images.list(filters={"label": f"dockerlab.tutorial={prefix}"})
                    for t in image.tags}
            assert {f"{prefix}{name}:latest" for name in ("single-stage", "multi-stage", "stripped", "by-hand",
                                                             "python-distroless", "cache-mounts")} <= tags
            assert all(t.startswith(prefix) for t in tags)
    finally:
        for prefix, proc in runs.items():
            if proc.poll() is None:
                proc.kill()
            tree = learners[prefix]
            subprocess.run([sys.executable, "-m", "dockerlab", "clean"], cwd=tree, timeout=300,
                           env=dict(os.environ, DOCKERLAB_PREFIX=prefix, PYTHONPATH=str(tree)), capture_output=True)
    for prefix in learners:  # clean removed each learner's images, and nothing else
        assert not client.images.list(filters={"label": f"dockerlab.tutorial={prefix}"})
    assert others <= {t for image in client.images.list() for t in image.tags}
