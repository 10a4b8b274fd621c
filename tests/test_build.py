"""dockerlab.build and the CLI's clean, on the real engine, with Dockerfiles the tests write."""

import subprocess
import sys

import pytest

import dockerlab
from dockerlab import naming
from dockerlab.build import dockerfile_bases
from dockerlab.progress import SilentReporter

PROBE = """\
ARG BASE=ubuntu:24.04
FROM ${BASE}
COPY hello.txt /hello.txt
RUN cat /hello.txt > /copy.txt
"""


def _probe(tmp_path, text=PROBE):
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text(text)
    return tmp_path


def _build(engine, tmp_path, **kw):
    client, info = engine
    return dockerlab.build("probe", context=tmp_path, dockerfile=tmp_path / "Dockerfile",
                           client=client, engine=info, reporter=SilentReporter(), **kw)


def test_dockerfile_bases(tmp_path):
    path = _probe(tmp_path, "ARG BASE=ubuntu:24.04\nARG OTHER=x\nFROM ${BASE} AS build\nFROM scratch\n")
    assert dockerfile_bases(path / "Dockerfile") == {"BASE": "ubuntu:24.04"}


def test_build_labels_names_and_counts(engine, tmp_path, test_prefix, cleanup):
    client, _ = engine
    before = {c.id for c in client.containers.list(all=True)}
    result = _build(engine, _probe(tmp_path))
    cleanup.append(result.tag)
    assert result.tag == f"{test_prefix}probe:latest"
    assert result.steps == 4 and 0 <= result.cached_steps <= result.steps
    assert result.size > 0 and result.seconds > 0
    assert result.bases and result.bases[0].requested == "ubuntu:24.04"
    image = client.images.get(result.tag)
    assert image.labels[naming.LABEL] == test_prefix
    assert image.labels[f"{naming.LABEL}.role"] == "lesson"
    assert {c.id for c in client.containers.list(all=True)} == before  # rm/forcerm: nothing piles up
    again = _build(engine, tmp_path)
    assert again.image_id == result.image_id
    assert again.cached_steps == again.cacheable_steps == 2  # COPY and RUN (ARG, FROM never use it)
    assert again.fully_cached


def test_typo_in_a_command_names_the_failing_step(engine, tmp_path, test_prefix):
    client, _ = engine
    before = {c.id for c in client.containers.list(all=True)}
    bad = PROBE.replace("RUN cat", "RUN catt")
    with pytest.raises(dockerlab.BuildFailed) as caught:
        _build(engine, _probe(tmp_path, bad))
    # The engine's own step line (its total counts the LABEL steps the builder appends).
    assert caught.value.step.startswith("Step 4/") and caught.value.step.endswith(": RUN catt /hello.txt > /copy.txt")
    assert caught.value.step in str(caught.value)
    assert "catt: not found" in caught.value.log_tail
    assert {c.id for c in client.containers.list(all=True)} == before  # forcerm removed the failed one


def test_typo_in_an_instruction_is_named(engine, tmp_path, test_prefix):
    with pytest.raises(dockerlab.BuildFailed) as caught:
        _build(engine, _probe(tmp_path, PROBE.replace("COPY", "COPPY")))
    assert "coppy" in str(caught.value).lower()
    assert "before its first step" in str(caught.value)


def test_missing_dockerfile_is_explained():
    with pytest.raises(dockerlab.DockerlabError, match="no Dockerfile"):
        dockerlab.build("no-such-variant")


def test_clean_removes_only_the_tutorials_images(engine, tmp_path, test_prefix, cleanup):
    client, _ = engine
    result = _build(engine, _probe(tmp_path))
    base = client.images.get(result.bases[0].ref)
    mine = f"{test_prefix.rstrip('/')}-unlabelled:keep"  # a learner's own image, no tutorial label
    base.tag(mine)
    cleanup.append(mine)
    proc = subprocess.run([sys.executable, "-m", "dockerlab", "clean"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    tags = {t for image in client.images.list() for t in image.tags}
    assert result.tag not in tags
    assert mine in tags and result.bases[0].ref in tags


def test_clean_spares_a_learners_container_and_the_image_it_uses(engine, tmp_path, test_prefix, cleanup):
    """A container the learner made by hand from a tutorial image inherits the image's labels;
    clean must neither remove it nor fail on the image it holds, and must say so."""
    client, _ = engine
    result = _build(engine, _probe(tmp_path))
    cleanup.append(result.tag)
    theirs = client.containers.create(result.tag, ["true"], network_disabled=True)  # as `docker create` would
    try:
        proc = subprocess.run([sys.executable, "-m", "dockerlab", "clean"], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        theirs.reload()  # still there
        assert result.tag in {t for image in client.images.list() for t in image.tags}
        assert f"your container {theirs.name} uses it" in proc.stdout
    finally:
        theirs.remove(force=True)
    proc = subprocess.run([sys.executable, "-m", "dockerlab", "clean"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and result.tag not in {t for image in client.images.list() for t in image.tags}


def test_variants_are_listed_by_the_folder_they_build_from():
    """prepare builds the calculator's variants; lesson 08's build from pycalc/ and are its own."""
    from dockerlab.build import variants

    calculator, python = variants(), variants(context="pycalc")
    assert "multi-stage" in calculator and not set(calculator) & set(python)
    assert all(v.startswith("python-") for v in python)
