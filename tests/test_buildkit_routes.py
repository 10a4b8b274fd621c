"""BuildKit's routes: the CLI's plain log, the command line, the route chosen, the timeline, and
builds through `dockerlab.build(builder="buildkit")` on whichever engine runs the tests."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dockerlab import buildkit, buildkit_cli, experiments, plots
from dockerlab.build import StepTime, dockerfile_bases, stages, variants
from dockerlab.errors import BuildFailed, DockerlabError

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


PLAIN = [  # buildx 0.13's --progress=plain, two stages interleaved, with the time each line arrived
    (0.0, "#1 [internal] load build definition from Dockerfile"),
    (0.0, "#1 transferring dockerfile: 368B done"),
    (0.1, "#1 DONE 0.0s"),
    (0.2, "#4 [a 1/2] FROM docker.io/dockerlab/debian:bookworm-minbase"),
    (0.2, "#4 CACHED"),
    (0.3, "#5 [a 2/2] RUN sleep 2"),
    (0.3, "#6 [b 2/2] RUN sleep 2 && echo hi"),
    (0.5, "#6 0.201 hi"),
    (0.6, "#5 [a 2/2] RUN sleep 2"),  # buildx repeats a header when it switches between steps
    (2.4, "#5 DONE 2.1s"),
    (2.5, "#6 DONE 2.2s"),
    (2.6, "#7 [stage-2 1/1] RUN false"),
    (2.7, "#7 0.050 oops"),
    (2.8, '#7 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1'),
    (2.8, "------"),
    (2.9, 'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1'),
]


def read_plain() -> buildkit_cli.PlainLog:
    plain = buildkit_cli.PlainLog()
    for seconds, line in PLAIN:
        plain.add(line + "\n", at(seconds))
    return plain


def test_plain_log_becomes_steps():
    plain = read_plain()
    steps = {s.name: s for s in plain.steps()}
    assert list(steps) == ["[internal] load build definition from Dockerfile",
                           "[a 1/2] FROM docker.io/dockerlab/debian:bookworm-minbase", "[a 2/2] RUN sleep 2",
                           "[b 2/2] RUN sleep 2 && echo hi", "[stage-2 1/1] RUN false"]
    a, b = steps["[a 2/2] RUN sleep 2"], steps["[b 2/2] RUN sleep 2 && echo hi"]
    assert (a.started, a.completed) == (at(0.3), at(2.4))  # DONE 2.1s: no earlier than the header
    assert (b.started, b.completed) == (at(0.3), at(2.5))
    assert b.logs == ("hi",) and b.stage == "b" and not b.cached
    assert steps["[a 1/2] FROM docker.io/dockerlab/debian:bookworm-minbase"].cached
    failed = plain.failed()
    assert failed.name == "[stage-2 1/1] RUN false" and failed.logs == ("oops",) and "exit code: 1" in failed.error
    assert plain.error().startswith("ERROR: failed to solve")
    assert plain.log[-1] == PLAIN[-1][1]


def test_plain_start_comes_from_the_duration_when_the_header_came_late():
    plain = buildkit_cli.PlainLog()
    plain.add("#3 [1/2] RUN make", at(5.0))
    plain.add("#3 DONE 4.0s", at(6.0))
    (step,) = plain.steps()
    assert (step.started, step.completed) == (at(2.0), at(6.0))


def test_cli_command():
    buildx = buildkit_cli.Cli(path="/usr/bin/docker", buildx=True, version="buildx 0.13")
    args = buildkit_cli.cli_command(buildx, context=Path("/ctx"), dockerfile=Path("/d/Dockerfile"), tag="p/x:latest",
                                    iidfile=Path("/t/iid"), target="build", buildargs={"BASE": "b:1"},
                                    labels={"dockerlab.tutorial": "p/"}, nocache=True, network_mode="host",
                                    platform="linux/arm64", secrets={"tok": "/s/tok"})
    assert args[:4] == ["/usr/bin/docker", "buildx", "build", "--load"] and args[-1] == "/ctx"
    text = " ".join(args)
    for part in ["--progress=plain", "-f /d/Dockerfile", "-t p/x:latest", "--iidfile /t/iid", "--target build",
                 "--build-arg BASE=b:1", "--label dockerlab.tutorial=p/", "--secret id=tok,src=/s/tok", "--no-cache",
                 "--network host", "--platform linux/arm64"]:
        assert part in text
    classic = buildkit_cli.Cli(path="/usr/bin/docker", buildx=False, version="Docker version 20.10.24")
    args = buildkit_cli.cli_command(classic, context=Path("/ctx"), dockerfile=Path("/d/Dockerfile"), tag="t",
                                    iidfile=Path("/i"))
    assert args[1] == "build" and "--load" not in args and "--target" not in args
    assert (buildx.route, classic.route) == (buildkit_cli.ROUTE_BUILDX, buildkit_cli.ROUTE_CLASSIC)


def test_route_for(monkeypatch):
    cli = buildkit_cli.Cli(path="/x/docker", buildx=True, version="v")
    monkeypatch.setattr(buildkit_cli, "find_cli", lambda: cli)
    assert buildkit.route_for("classic") == buildkit.ROUTE_API
    assert buildkit.route_for("classic", secrets=True) == buildkit_cli.ROUTE_BUILDX
    assert buildkit.route_for("containerd") == buildkit_cli.ROUTE_BUILDX
    monkeypatch.setattr(buildkit_cli, "find_cli", lambda: None)
    assert buildkit.route_for("classic") == buildkit.ROUTE_API
    with pytest.raises(DockerlabError, match="needs a session.*docker-buildx"):
        buildkit.route_for("containerd")


def test_busy_and_overlap():
    timeline = [StepTime("a", "RUN 1", 0, 2), StepTime("a", "RUN 2", 2, 5), StepTime("b", "RUN 3", 1, 3),
                StepTime("b", "RUN 4", 4, 4), StepTime("c", "RUN 5", 6, 7)]
    assert experiments.busy(timeline, "a") == [(0, 5)]
    assert experiments.overlap(timeline, "a", "b") == 2
    assert experiments.overlap(timeline, "a", "c") == 0


def test_timeline_plot():
    import matplotlib.pyplot as plt

    ax = plots.timeline([StepTime("build", "RUN go build", 0.5, 3.0), StepTime("stage-1", "COPY x", 3.0, 3.0, cached=True)])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["build: RUN go build", "stage-1: COPY x"]
    assert len(ax.patches) == 2 and ax.patches[1].get_width() > 0
    plt.close(ax.figure)
    with pytest.raises(ValueError):
        plots.timeline([])


def test_buildkit_only_variants_and_platform_in_from():
    legacy, every = variants(), variants(builder="buildkit")
    assert {"cache-mounts", "cross-platform", "secret-arg", "secret-mount", "unused-stage"} == set(every) - set(legacy)
    from dockerlab.build import DOCKERFILES

    assert stages("cross-platform") == ["build"]
    assert dockerfile_bases(DOCKERFILES / "cross-platform" / "Dockerfile") == {"BASE": "ubuntu:24.04"}


def test_builder_names_are_checked():
    import dockerlab

    with pytest.raises(DockerlabError, match="not a builder"):
        dockerlab.build("multi-stage", builder="kaniko")
    with pytest.raises(DockerlabError, match="no secrets"):
        dockerlab.build("multi-stage", secrets={"a": "/dev/null"})


# -- the real engine: whichever route serves it -----------------------------------------------------

def _project(tmp_path: Path, text: str) -> tuple[Path, Path]:
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "hello.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text("ARG BASE=ubuntu:24.04\n" + text)
    return tmp_path / "ctx", tmp_path / "Dockerfile"


def test_both_builders_give_one_result_with_a_timeline(engine, test_prefix, cleanup, tmp_path):
    import dockerlab
    from dockerlab import naming
    from dockerlab.progress import SilentReporter

    client, info = engine
    context, dockerfile = _project(tmp_path, "FROM ${BASE} AS a\nRUN sleep 1 && echo a > /a\n"
                                             "FROM ${BASE} AS b\nRUN sleep 1 && echo b > /b\n"
                                             "FROM scratch\nCOPY --from=a /a /a\nCOPY --from=b /b /b\nCOPY hello.txt /\n")
    results = {}
    for builder in ("legacy", "buildkit"):
        tag = naming.image_name(f"routes-{builder}")
        cleanup.append(tag)
        results[builder] = dockerlab.build("routes", builder=builder, tag=tag, context=context, dockerfile=dockerfile,
                                           nocache=True, reporter=SilentReporter())
    legacy, bk = results["legacy"], results["buildkit"]
    from dockerlab.build import ROUTE_LEGACY

    assert legacy.route == ROUTE_LEGACY and bk.builder == "buildkit"
    assert bk.route == buildkit.route_for(info.image_store)
    for result in results.values():
        image = client.images.get(result.tag)
        assert image.labels[naming.LABEL] == test_prefix and result.size > 0
        # Not FROM: BuildKit shares one vertex among builds of the same base, named by whichever came first.
        assert {s.stage for s in result.timeline if not s.instruction.startswith(("FROM", "ARG"))} == {"a", "b", "stage-2"}
        assert all(0 <= s.start <= s.end for s in result.timeline)
    assert experiments.overlap(legacy.timeline, "a", "b") == 0
    assert experiments.overlap(bk.timeline, "a", "b") > 0.3


def test_secrets_go_through_a_cli_and_a_failure_names_its_step(engine, test_prefix, cleanup, tmp_path):
    import dockerlab
    from dockerlab import naming, scan
    from dockerlab.progress import SilentReporter

    client, info = engine
    (tmp_path / "tok").write_text("fake-token-for-a-test")
    context, dockerfile = _project(tmp_path, "FROM ${BASE}\nRUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /n\n")
    tag = naming.image_name("routes-secret")
    cleanup.append(tag)
    result = dockerlab.build("routes", builder="buildkit", tag=tag, context=context, dockerfile=dockerfile,
                             secrets={"tok": str(tmp_path / "tok")}, reporter=SilentReporter())
    assert result.route in (buildkit_cli.ROUTE_BUILDX, buildkit_cli.ROUTE_CLASSIC)
    assert scan.find_text(result.tag, "fake-token-for-a-test") == ()

    (tmp_path / "Dockerfile").write_text("ARG BASE=ubuntu:24.04\nFROM ${BASE}\n"
                                         "RUN --mount=type=secret,id=tok for i in $(seq 1 20); do echo line $i; done; exit 3\n")
    with pytest.raises(BuildFailed) as failed:
        dockerlab.build("routes", builder="buildkit", tag=tag, context=context, dockerfile=dockerfile,
                        secrets={"tok": str(tmp_path / "tok")}, reporter=SilentReporter())
    assert re.match(r"\[(stage-0 )?2/2\] RUN --mount=type=secret", failed.value.step)  # 26 names the one stage
    assert failed.value.log_tail.splitlines() == [f"line {i}" for i in range(6, 21)]
    assert "exit code: 3" in str(failed.value) and "Fix that step" in str(failed.value)
