"""Drills: what a workshop room does to the tutorial. Two learners share one engine."""

import docker
import nbformat
import pytest

import learners
from learners import LESSONS, checkout


def test_two_learners_on_one_engine(request, tmp_path):
    """Every lesson, by two learners at once on one engine, each from a checkout of its own under a
    prefix of its own: both pass, each sees its own images, each checkout's calculator is the one
    its lesson 01 wrote, and each one's clean removes its images and nothing else.

    Ada runs every lesson in JupyterLab in Chromium. The other learner is this session's nbval run
    of the notebooks when the session has one (conftest.py starts Ada before the first notebook,
    and this test, after the last, waits for her): nbval's items are that learner's verdicts, in
    this checkout, under the default prefix. Run on its own, the drill has Bob run every lesson
    headless beside her, as scripts/tutorial.sh does. Either way each lesson runs twice on the
    engine, at once, where it ran four times before (nbval, a browser test, two headless learners)."""
    lacking = learners.missing_browser()
    if lacking:
        pytest.skip(lacking)
    client = docker.from_env()
    ada = request.config.stash.get(learners.BESIDE_NBVAL, None)
    team = [ada] if ada else [learners.start("drill-ada/", checkout(tmp_path / "ada"), "in JupyterLab"),
                              learners.start("drill-bob/", checkout(tmp_path / "bob"), "headless")]
    try:
        for learner in team:
            learner.proc.wait(timeout=3600)
            assert not learner.failures(), (learner.prefix, learner.how, learner.failures(), learner.log_tail())
            assert learner.proc.returncode == 0, (learner.prefix, learner.log_tail())
        for learner in team:
            if learner.how == "headless":
                for lesson in LESSONS:
                    nb = nbformat.read(learner.tree / "output" / "executed" / lesson, as_version=4)
                    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
                    assert not errors, (learner.prefix, lesson, errors)
            for source in (learners.ROOT / "calculator").glob("*.go"):
                assert (learner.tree / "calculator" / source.name).read_text() == source.read_text(), \
                    (learner.prefix, source.name)
            tags = {t for image in client.images.list(filters={"label": f"dockerlab.tutorial={learner.prefix}"})
                    for t in image.tags}
            assert {f"{learner.prefix}{name}:latest" for name in ("single-stage", "multi-stage", "stripped", "by-hand",
                                                                  "python-distroless", "cache-mounts")} <= tags
            assert all(t.startswith(learner.prefix) for t in tags)
    finally:
        for learner in team:
            learner.stop()
        others = {t for image in client.images.list() for t in image.tags
                  if not any(t.startswith(learner.prefix) for learner in team)}
        cleaned = [learner.clean() for learner in team]
    for learner, done in zip(team, cleaned):  # clean removed each learner's images, and nothing else
        assert done.returncode == 0, (learner.prefix, done.stdout, done.stderr)
        assert not client.images.list(filters={"label": f"dockerlab.tutorial={learner.prefix}"})
    assert others <= {t for image in client.images.list() for t in image.tags}
