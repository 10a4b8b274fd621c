"""Drills: what a workshop room does to the tutorial. Two learners share one engine."""

import os
import subprocess
import sys
from pathlib import Path

import docker
import nbformat

ROOT = Path(__file__).resolve().parent.parent
# The Go tutorial's lessons, 00 to 07, in order, as a room runs them. Lessons 08 (Python) and 09
# (BuildKit) build their own images under the same prefix rules; running them twice at once here
# too would add about a quarter of an hour to CI on 2 cores for no new kind of sharing.
LESSONS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb") if p.name < "08")


def _run_lessons(prefix: str, out: Path) -> subprocess.Popen:
    """Every lesson in order under `prefix`, as scripts/tutorial.sh runs them; copies in out/executed/."""
    env = dict(os.environ, DOCKERLAB_PREFIX=prefix)
    return subprocess.Popen([sys.executable, "-m", "dockerlab.headless", str(out), *map(str, LESSONS)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_learners_on_one_engine(tmp_path):
    """The whole tutorial, twice at once under two prefixes: both pass, and each sees its own images."""
    learners = {"drill-ada/": tmp_path / "ada", "drill-bob/": tmp_path / "bob"}
    client = docker.from_env()
    others = {t for image in client.images.list() for t in image.tags if not t.startswith("drill-")}
    runs = {prefix: _run_lessons(prefix, out) for prefix, out in learners.items()}
    try:
        for prefix, proc in runs.items():
            output, _ = proc.communicate(timeout=3600)
            assert proc.returncode == 0, f"{prefix}: {output[-3000:]}"
        for prefix, out in learners.items():
            for lesson in LESSONS:
                nb = nbformat.read(out / "executed" / lesson.name, as_version=4)
                errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
                assert not errors, (prefix, lesson.name, errors)
            tags = {t for image in client.images.list(filters={"label": f"dockerlab.tutorial={prefix}"})
                    for t in image.tags}
            assert {f"{prefix}{name}:latest" for name in ("single-stage", "multi-stage", "stripped", "by-hand")} <= tags
            assert all(t.startswith(prefix) for t in tags)
    finally:
        for prefix, proc in runs.items():
            if proc.poll() is None:
                proc.kill()
            subprocess.run([sys.executable, "-m", "dockerlab", "clean"], cwd=ROOT, timeout=300,
                           env=dict(os.environ, DOCKERLAB_PREFIX=prefix), capture_output=True)
    for prefix in learners:  # clean removed each learner's images, and nothing else
        assert not client.images.list(filters={"label": f"dockerlab.tutorial={prefix}"})
    assert others <= {t for image in client.images.list() for t in image.tags}
