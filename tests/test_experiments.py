"""Build-cache experiments on the real engine: a one-line change to the calculator reuses the
toolchain's install step in the multi-stage Dockerfile, and re-runs a step after the copy of the
source in a Dockerfile of bad-order's shape.

No test here uses ``nocache``: the baselines come from the cache (``python -m dockerlab prepare``
or the lessons made them; the first run of this file builds them), and each edit carries a fresh
token, so the edited builds are new to the cache on every run.
"""

import shutil
import subprocess

import pytest

import dockerlab
from dockerlab import checks, experiments
from dockerlab.dockerfiles import CALCULATOR
from dockerlab.experiments import NEVER, RAN, REUSED

INSTALL = "RUN apt-get update && apt-get install -y golang-go"


def test_public_names():
    assert experiments.__all__ == ["Edit", "one_line_edit", "edited_context", "steps", "discard", "busy", "overlap",
                                   "REUSED", "RAN", "NEVER"]
    assert "check_cache_order" in checks.__all__


def test_edited_context_changes_one_line_of_a_copy(tmp_path):
    edit = experiments.one_line_edit(token="abc123")
    before = {p.name: p.read_text() for p in CALCULATOR.iterdir()}
    with experiments.edited_context(edit) as context:
        assert not context.resolve().is_relative_to(CALCULATOR.parent)  # outside the repository
        after = {p.name: p.read_text() for p in context.iterdir()}
        assert set(after) == set(before)
        changed = [name for name in before if after[name] != before[name]]
        assert changed == ["main.go"]
        old, new = before["main.go"].split("\n"), after["main.go"].split("\n")
        assert [(a, b) for a, b in zip(old, new) if a != b] == [('var version = "dev"', 'var version = "dev-abc123"')]
        if shutil.which("gofmt"):
            assert subprocess.run(["gofmt", "-l", "."], cwd=context, capture_output=True, text=True).stdout == ""
    assert not context.exists()  # removed at the end of the block
    assert {p.name: p.read_text() for p in CALCULATOR.iterdir()} == before  # the repository is untouched


def test_fresh_edits_differ_and_bad_edits_are_explained(tmp_path):
    assert experiments.one_line_edit() != experiments.one_line_edit()
    (tmp_path / "main.go").write_text("package main\n")
    with pytest.raises(dockerlab.DockerlabError, match="0 times, not once"):
        experiments.one_line_edit().apply(tmp_path)
    with pytest.raises(dockerlab.DockerlabError, match="must be letters"):
        experiments.one_line_edit(token='x"; panic()')


def _edited_build(variant, tag, edit, dockerfile=None):
    with experiments.edited_context(edit) as context:
        return dockerlab.build(variant, tag=dockerlab.image_name(tag), context=context, dockerfile=dockerfile)


def _cache_by_instruction(result):
    return dict(experiments.steps(result)[["instruction", "cache"]].itertuples(index=False))


def test_one_line_change_reuses_the_install_in_the_multi_stage_build(engine, test_prefix, cleanup):
    client, _ = engine
    # The unchanged build stage, tagged: a build reuses only steps of its variant's own images.
    baseline = dockerlab.build("multi-stage", target="build")
    cleanup.append(baseline.tag)
    edit = experiments.one_line_edit()
    result = _edited_build("multi-stage", "cache-test", edit)
    try:
        cache = _cache_by_instruction(result)
        assert cache["FROM ${BASE} AS build"] == NEVER
        assert cache[INSTALL] == REUSED and cache["WORKDIR /src"] == REUSED
        assert cache["COPY . ."] == RAN  # the change is in the copied files...
        assert cache["RUN CGO_ENABLED=0 go build -o /usr/local/bin/calc ."] == RAN  # ...and so is everything after
        assert (result.cached_steps, result.cacheable_steps) == (2, 6)
        assert list(experiments.steps(result, stage="build")["instruction"]) == [
            "FROM ${BASE} AS build", INSTALL, "WORKDIR /src", "COPY . .", "RUN CGO_ENABLED=0 go build -o /usr/local/bin/calc ."]
        with pytest.raises(dockerlab.DockerlabError, match="no stage named 'test'; its named stages: build"):
            experiments.steps(result, stage="test")
        assert dockerlab.run(result.tag, "--version").stdout.strip() == f"calc {edit.new.split(chr(34))[1]}"
    finally:
        removed = experiments.discard(result)
    assert removed == 7  # COPY, go build; then the final stage's COPY, ENTRYPOINT and three labels
    assert not client.images.list(name=result.tag)
    client.images.get(baseline.tag)  # what the edited build reused is still there


# bad-order's shape, with a stand-in for the toolchain's install: what is tested is how the cache
# miss of `COPY . .` reaches every step after it, and how `experiments.steps` reads that. Lesson 06
# asserts the same of the real bad-order Dockerfile under nbval, on both engines; its install of Go
# took 108 s in this test (the host's run of a fresh-clone .ci/run, 2026-12-02).
SOURCE_FIRST = """ARG BASE=ubuntu:24.04
FROM ${BASE} AS build
WORKDIR /src
COPY . .
RUN echo "a stand-in for the toolchain's install" > /installed
RUN test -f main.go
FROM scratch
COPY --from=build /installed /installed
ENTRYPOINT ["/installed"]
"""
STAND_IN = 'RUN echo "a stand-in for the toolchain\'s install" > /installed'


def test_one_line_change_reruns_the_install_when_the_source_comes_first(engine, test_prefix, cleanup, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(SOURCE_FIRST)
    cleanup.append(dockerlab.build("source-first", target="build", dockerfile=dockerfile).tag)
    result = _edited_build("source-first", "cache-test-source-first", experiments.one_line_edit(), dockerfile)
    try:
        cache = _cache_by_instruction(result)
        assert cache["WORKDIR /src"] == REUSED
        assert cache["COPY . ."] == RAN and cache[STAND_IN] == RAN and cache["RUN test -f main.go"] == RAN
        assert (result.cached_steps, result.cacheable_steps) == (1, 6)
    finally:
        experiments.discard(result)


def test_check_cache_order_passes_the_good_order(test_prefix, cleanup):
    cleanup.extend([dockerlab.image_name("cache-exercise-build"), dockerlab.image_name("cache-exercise")])
    feedback = checks.check_cache_order(dockerlab.dockerfile("multi-stage"))
    assert feedback.ok, feedback
    assert "came from the cache" in feedback.lines[0] and "prints `calc dev-" in feedback.lines[1]


def test_check_cache_order_nudges_and_names_a_broken_line(test_prefix):
    assert "not answered yet: put the text" in checks.check_cache_order("").lines[0]
    feedback = checks.check_cache_order("ARG BASE=ubuntu:24.04\nFROM ${BASE}\nRUN apt-gett install -y golang-go\n")
    assert not feedback.ok and "does not build" in feedback.lines[0] and "apt-gett" in feedback.lines[0]
