"""Shared fixtures: a real engine (skipping nothing: CI starts one), under a test prefix."""

from __future__ import annotations

import os
import uuid

import pytest


@pytest.fixture(scope="session")
def engine():
    """The real engine the tests talk to, as (client, EngineInfo)."""
    import dockerlab

    return dockerlab.connect()


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
    for ref in reversed(refs):
        try:
            client.images.remove(ref, force=True)
        except Exception:  # already gone: the test may have removed it itself
            pass


def pytest_report_header(config):
    return f"DOCKER_HOST={os.environ.get('DOCKER_HOST', '(default)')}"


ENGINE_FIXTURES = {"engine", "cleanup", "test_prefix"}


def pytest_collection_modifyitems(config, items):
    """With DOCKERLAB_ENGINE_TESTS_ONLY=1 (the second engine's run in scripts/test.sh), keep the
    notebooks and the tests that talk to the engine; the pure ones have run already."""
    if os.environ.get("DOCKERLAB_ENGINE_TESTS_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        in_tests = item.nodeid.startswith("tests/")
        uses_engine = ENGINE_FIXTURES & set(getattr(item, "fixturenames", ()))
        browser = item.nodeid.startswith("tests/test_browser.py")
        (keep if (not in_tests or uses_engine) and not browser else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
