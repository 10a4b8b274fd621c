"""Shared fixtures: a real engine (skipping nothing: CI starts one), under a test prefix."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def engine():
    """The real engine the tests talk to, as (client, EngineInfo), with the toolchains' installs
    kept in its build cache for the whole session (see `_keep_the_toolchain_install`)."""
    import dockerlab

    client, info = dockerlab.connect()
    with _keep_the_toolchain_install(client):
        yield client, info


@contextlib.contextmanager
def _keep_the_toolchain_install(client):
    """Build the toolchains' installs once, tagged under a prefix of their own, and remove them at
    the end: the kinds of `toolchains.TOOLCHAINS` that $DOCKERLAB_TOOLCHAINS names ("go" unless set).

    Each test builds under a prefix of its own and removes what it made. A build stage's images are
    untagged, and no image after `FROM scratch` holds them as parents, so removing one test's image
    removed the install of golang-go that every later build would have taken from the cache: on
    2026-12-01 a cache-order check re-ran that install (86 s of its 142 s on the containerd store),
    and so did each later test that built the calculator. A tag keeps the chain. No verdict depends
    on it: a check builds its own "before" image first, and what it compares comes after.

    With $DOCKERLAB_TOOLCHAINS_PREFIX (scripts/test.sh) the tags are under that prefix and stay
    after the session, for the sessions after it on the same engine: the notebooks' first builds of
    each toolchain then come from the cache, as on a learner's second run, instead of installing it
    again for nbval and again for the drill's learner. scripts/test.sh removes them when it ends."""
    import toolchains

    kept = os.environ.get("DOCKERLAB_TOOLCHAINS_PREFIX")
    with pytest.MonkeyPatch.context() as patch:  # the prefix only while building
        patch.setenv("DOCKERLAB_PREFIX", kept or f"dockerlab-test-cache-{uuid.uuid4().hex[:8]}/")
        tags = toolchains.keep(os.environ.get("DOCKERLAB_TOOLCHAINS", "go").split(), client=client)
    try:
        yield
    finally:
        try:
            if not kept:
                _remove(client, reversed(tags))
        except Exception:  # the engine may be gone at the end of a session; nothing else is ours
            pass


@pytest.fixture()
def test_prefix(monkeypatch):
    """A prefix of its own for one test, so that what it makes cannot collide with the lessons."""
    value = f"dockerlab-test-{uuid.uuid4().hex[:8]}/"
    monkeypatch.setenv("DOCKERLAB_PREFIX", value)
    return value


@pytest.fixture()
def cleanup(engine):
    """Remove, after the test, the image references the test appends to the list."""
    client, _ = engine
    refs: list[str] = []
    yield refs
    _remove(client, reversed(refs))


@pytest.fixture(scope="session")
def remove_images(engine):
    """``remove_images(refs)``: remove these images, then their parents that nothing else builds on."""
    return lambda refs: _remove(engine[0], refs)


def _remove(client, refs) -> None:
    """Remove the images `refs`, then those of their parents nothing else builds on."""
    from dockerlab.cleanup import remove_images

    remove_images(client, list(refs), force=True)


def pytest_report_header(config):
    return f"DOCKER_HOST={os.environ.get('DOCKER_HOST', '(default)')}"


ENGINE_FIXTURES = {"engine", "cleanup", "test_prefix"}
STORE_SENSITIVE = {  # what the image store or the engine's version changes, and so runs on both engines
    "tests/test_oci.py": "what loads, image ids, what `docker save` writes",
    "tests/test_build.py": "the legacy builder's cache and its failures, labels, clean",
    "tests/test_buildkit.py": "the engine API's BuildKit route",
    "tests/test_buildkit_routes.py": "which BuildKit route serves on which store",
    "tests/test_engine.py": "what the engine and its store are",
    "tests/test_analyze.py": "layers read from `docker save`, compressed or not",
    "tests/test_security.py": "secrets found in a saved image's layers",
    "tests/test_binary.py": "sizes against the binary, which the store counts its own way",
    "tests/test_bases.py": "the base and the workshop kit, saved and loaded",
    "tests/test_cli.py": "every command against that engine",
    "tests/test_checks_wrong_answers.py::test_cache_order_solution_passes": "the build cache without cache sources",
    "tests/test_checks_wrong_answers.py::test_image_by_hand": "an OCI archive loaded",
    "tests/test_experiments.py::test_one_line_change_reuses_the_install_in_the_multi_stage_build": "the build cache",
    "tests/test_every_variant.py": "both builders, BuildKit by the route the store allows (a CLI on containerd's)",
}
"""The second engine's run keeps the notebooks and these. The other engine tests (a checker's wrong
answers, lesson 01's Go tests in a container, the Python lesson's checker, a cache miss) ask the
engine nothing that differs between stores; they run on the host's engine only, which keeps CI
under its time limit (on 2026-12-01 the second engine's run took 3414 s with every engine test)."""


RUN_LAST = "tests/test_every_variant.py"
"""Every variant, by both builders, after the notebooks: the lessons have built most variants by
then, so the test's builds come from the build cache instead of installing the toolchains again
(on the containerd engine its builds took 1194 s when it ran first, on 2026-12-01)."""


DRILL = "tests/test_drills.py::test_two_learners_on_one_engine"
"""The drill of two learners. When the session also runs the notebooks under nbval, that run is
one of the two: Ada starts in JupyterLab before the first notebook, and the drill, moved after
the last one, waits for her (see its docstring)."""
FIRST_NOTEBOOK = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what they deselect
def pytest_collection_modifyitems(config, items):
    """Run `RUN_LAST` last, and the drill after the notebooks when both run. With
    DOCKERLAB_ENGINE_TESTS_ONLY=1 (the second engine's run in scripts/test.sh), keep the notebooks
    and the engine tests of `STORE_SENSITIVE`; the others have run already."""
    if os.environ.get("DOCKERLAB_ENGINE_TESTS_ONLY") == "1":
        keep, drop = [], []
        for item in items:
            in_tests = item.nodeid.startswith("tests/")
            uses_engine = ENGINE_FIXTURES & set(getattr(item, "fixturenames", ()))
            sensitive = any(item.nodeid.startswith(key + ("::" if key.endswith(".py") else "")) for key in STORE_SENSITIVE)
            (keep if not in_tests or (uses_engine and sensitive) else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    notebooks = [item for item in items if item.nodeid.startswith("notebooks/")]
    beside = bool(notebooks) and any(item.nodeid == DRILL for item in items)
    if beside:
        config.stash[FIRST_NOTEBOOK] = notebooks[0].nodeid
    items.sort(key=lambda item: 2 if item.nodeid.startswith(RUN_LAST) else 1 if beside and item.nodeid == DRILL else 0)


class _AdaBesideNbval:
    """Starts Ada before the first notebook. A plugin of its own, registered by pytest_configure:
    a hook of this conftest would see only the items under tests/, not the notebooks."""

    @staticmethod
    def pytest_runtest_setup(item):
        if item.nodeid != item.config.stash.get(FIRST_NOTEBOOK, None):
            return
        import learners

        if learners.missing_browser():
            return  # the drill skips, and says why
        tree = learners.checkout(Path(tempfile.mkdtemp(prefix="dockerlab-drill-")) / "ada")
        item.config.stash[learners.BESIDE_NBVAL] = learners.start("drill-ada/", tree, "in JupyterLab")


def pytest_configure(config):
    config.pluginmanager.register(_AdaBesideNbval(), "dockerlab-ada-beside-nbval")


def pytest_sessionfinish(session):
    """Ada does not outlive the session (stopped early, or the drill deselected by a failure)."""
    import learners

    ada = session.config.stash.get(learners.BESIDE_NBVAL, None)
    if ada is None:
        return
    if ada.proc.poll() is None:
        ada.stop()
        ada.clean()
    shutil.rmtree(ada.tree.parent, ignore_errors=True)
