"""dockerlab.build, its Dockerfile parsing (`dockerfiles`) and its log reading (`legacy_log`), on
logs and Dockerfiles the tests write; then on the real engine, with the CLI's clean."""

import importlib
import subprocess
import sys
from types import SimpleNamespace

import pytest

import dockerlab
from dockerlab import experiments, naming
from dockerlab.dockerfiles import From, dockerfile_bases, froms, parse_from, stages
from dockerlab.engine import EngineInfo
from dockerlab.legacy_log import LegacyLog
from dockerlab.progress import SilentReporter

build_module = importlib.import_module("dockerlab.build")  # `dockerlab.build` is the function

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


def test_dockerfile_bases_behind_a_platform_flag(tmp_path):
    path = _probe(tmp_path, "ARG BASE=ubuntu:24.04\nfrom --platform=$BUILDPLATFORM $BASE as build\nFROM scratch\n")
    assert dockerfile_bases(path / "Dockerfile") == {"BASE": "ubuntu:24.04"}


@pytest.mark.parametrize("line, parsed", [
    ("FROM ${BASE} AS build", From("${BASE}", "build")),
    ("  from ubuntu:24.04 as Build", From("ubuntu:24.04", "Build")),
    ("FROM --platform=$BUILDPLATFORM ${BASE} AS build", From("${BASE}", "build", "$BUILDPLATFORM")),
    ("FROM --platform=linux/arm64 scratch", From("scratch", None, "linux/arm64")),
    ("FROM scratch", From("scratch")),
    ("RUN echo FROM x AS y", None),
    ("# FROM x AS y", None),
])
def test_from_lines(line, parsed):
    assert parse_from(line) == parsed


def test_stages_and_froms_of_a_text():
    text = ("ARG BASE=ubuntu:24.04\nFROM --platform=$BUILDPLATFORM ${BASE} AS build\nRUN true\n"
            "FROM build AS test\nFROM scratch\n")
    assert stages(text=text) == ["build", "test"]
    assert [f.image for f in froms(text)] == ["${BASE}", "build", "scratch"]
    assert stages("multi-stage") == ["build"]


LEGACY_LOG = """\
Step 1/12 : ARG BASE=ubuntu:24.04
Step 2/12 : FROM --platform=$BUILDPLATFORM ${BASE} AS build
 ---> 1111111111aa
Step 3/12 : RUN apt-get update && apt-get install -y golang-go
 ---> Using cache
 ---> 2222222222aa
Step 4/12 : WORKDIR /src
 ---> Using cache
 ---> 3333333333aa
Step 5/12 : COPY . .
 ---> 4444444444aa
Step 6/12 : RUN CGO_ENABLED=0 go build -o /usr/local/bin/calc .
 ---> Running in abcdef123456
Removing intermediate container abcdef123456
 ---> 5555555555aa
Step 7/12 : FROM scratch
 --->
Step 8/12 : COPY --from=build /usr/local/bin/calc /calc
 ---> 6666666666aa
Step 9/12 : ENTRYPOINT ["/calc"]
 ---> Running in bbbbbbbbbbbb
Removing intermediate container bbbbbbbbbbbb
 ---> 7777777777aa
Step 10/12 : LABEL dockerlab.tutorial=dockerlab/
 ---> Using cache
 ---> 8888888888aa
Step 11/12 : LABEL dockerlab.tutorial.role=lesson
 ---> 9999999999aa
Step 12/12 : LABEL dockerlab.tutorial.variant=probe
 ---> aaaaaaaaaaaa
Successfully built aaaaaaaaaaaa
Successfully tagged dockerlab/probe:latest
"""


def test_legacy_log_gives_one_record_per_step():
    log = LegacyLog()
    started = [i for i, line in enumerate(LEGACY_LOG.splitlines()) if log.feed(line, float(i))]
    assert len(started) == len(log.steps) == log.total == 12 and log.built == "aaaaaaaaaaaa"
    assert log.line == "Step 12/12 : LABEL dockerlab.tutorial.variant=probe"
    first, build, install, _, copy, _, scratch = log.steps[:7]
    assert (first.stage_name, first.cacheable, build.stage_name, build.cacheable) == (None, False, "build", False)
    assert install.cached and install.image_id == "2222222222aa" and install.cacheable and install.stage == "build"
    assert not copy.cached and copy.image_id == "4444444444aa" and copy.start == started[4]
    assert (scratch.stage, scratch.stage_name, scratch.image_id) == (None, "stage-1", None)
    assert [s.ours for s in log.steps] == [False] * 9 + [True] * 3


class _FakeEngine:
    """The parts of a client a legacy build uses, streaming `events`."""

    def __init__(self, events):
        self.api = SimpleNamespace(build=lambda **_: iter(events))
        self.images = SimpleNamespace(
            list=lambda **_: [],
            get=lambda ref: SimpleNamespace(id="sha256:" + "a" * 64, tags=["dockerlab/probe:latest"], attrs={"Size": 42}))


ENGINE = EngineInfo("20.10", "1.41", "linux", "amd64", "overlay2", True, None, "unix:///nowhere")


def _fake_build(tmp_path, events, monkeypatch):
    clock = iter(range(1000))
    monkeypatch.setattr(build_module.time, "monotonic", lambda: float(next(clock)))
    _probe(tmp_path)
    return dockerlab.build("probe", context=tmp_path, dockerfile=tmp_path / "Dockerfile", client=_FakeEngine(events),
                           engine=ENGINE, reporter=SilentReporter(), buildargs={"BASE": "ubuntu:24.04"})


def test_a_legacy_build_is_read_once_into_counts_a_timeline_and_step_records(tmp_path, monkeypatch):
    result = _fake_build(tmp_path, [{"stream": line + "\n"} for line in LEGACY_LOG.splitlines()], monkeypatch)
    assert (result.steps, result.cached_steps, result.cacheable_steps) == (9, 2, 6)
    assert result.image_id == "sha256:" + "a" * 64 and len(result.legacy_steps) == 12
    assert [t.stage for t in result.timeline] == [None] + ["build"] * 5 + ["stage-1"] * 3
    assert [t.cached for t in result.timeline] == [False, False, True, True] + [False] * 5
    assert all(a.end == b.start for a, b in zip(result.timeline, result.timeline[1:]))
    table = experiments.steps(result)
    assert table["cache"].tolist() == [experiments.NEVER, experiments.NEVER, experiments.REUSED, experiments.REUSED,
                                       experiments.RAN, experiments.RAN, experiments.NEVER, experiments.RAN,
                                       experiments.RAN]
    assert table["step"].tolist() == list(range(1, 10))
    assert experiments.steps(result, stage="build")["step"].tolist() == [2, 3, 4, 5, 6]  # behind --platform too
    # COPY and go build, then the final stage's COPY, ENTRYPOINT and the two label steps that ran
    assert experiments._made(result) == ["4444444444aa", "5555555555aa", "6666666666aa", "7777777777aa",
                                         "9999999999aa", "aaaaaaaaaaaa"]


def test_a_failed_legacy_step_is_named_from_the_records(tmp_path, monkeypatch):
    events = [{"stream": "Step 1/4 : ARG BASE=ubuntu:24.04\n"}, {"stream": "Step 2/4 : FROM ${BASE}\n"},
              {"stream": "Step 3/4 : RUN catt /hello.txt\n"}, {"error": "/bin/sh: 1: catt: not found"}]
    with pytest.raises(dockerlab.BuildFailed) as caught:
        _fake_build(tmp_path, events, monkeypatch)
    assert caught.value.step == "Step 3/4 : RUN catt /hello.txt" and "catt: not found" in caught.value.log_tail


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
    from dockerlab.build import variants  # still importable from build, where it lived

    calculator, python = variants(), variants(context="pycalc")
    assert "multi-stage" in calculator and not set(calculator) & set(python)
    assert all(v.startswith("python-") for v in python)
