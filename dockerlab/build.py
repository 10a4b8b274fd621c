"""Building the tutorial's images through the Docker SDK, with live progress.

`build("multi-stage")` builds ``dockerfiles/multi-stage/Dockerfile`` with ``calculator/`` as its
context. Bases named by ``ARG NAME=default`` before ``FROM`` are resolved offline-first
(see `dockerlab.bases`) and passed as build arguments. ``builder="legacy"`` (the default) is
what the SDK drives: every stage before the target is built, and there is no BuildKit syntax.
``builder="buildkit"`` builds with BuildKit by the route `dockerlab.buildkit.route_for` picks
(the engine API, or a docker CLI where a session is needed). Either way the result is one
`BuildResult`, with each step's start and end in `timeline` and what served it in `route`.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker.errors import APIError, DockerException

from . import aptcache, naming
from .bases import BaseImage, resolve
from .dockerfiles import CALCULATOR, DOCKERFILES, ROOT, dockerfile, dockerfile_bases, stages, variants
from .engine import EngineInfo, connect
from .errors import BuildFailed, DockerlabError
from .legacy_log import LegacyLog, LegacyStep
from .progress import Reporter, reporter as default_reporter
from .sizes import unpacked_size

# The Dockerfile helpers live in `dockerlab.dockerfiles`; they stay importable from here.
__all__ = ["ROOT", "DOCKERFILES", "CALCULATOR", "ROUTE_LEGACY", "variants", "dockerfile", "stages", "StepTime",
           "BuildResult", "build", "dockerfile_bases", "advice"]

ROUTE_LEGACY = "engine API, legacy builder"


@dataclass(frozen=True)
class StepTime:
    """One Dockerfile step of a build: its stage, and when it ran, in seconds from the build's start."""

    stage: str | None  # the stage's name; "stage-N" for an unnamed stage (N counts from 0), as BuildKit names it
    instruction: str
    start: float
    end: float
    cached: bool = False


@dataclass(frozen=True)
class BuildResult:
    """What a build made and what it cost."""

    image_id: str
    tags: tuple[str, ...]
    size: int
    seconds: float
    steps: int  # the Dockerfile's instructions
    cached_steps: int  # served from the build cache
    cacheable_steps: int  # all but FROM and the ARGs before it, which never use the cache
    bases: tuple[BaseImage, ...] = ()
    log: tuple[str, ...] = field(default=(), repr=False)
    timeline: tuple[StepTime, ...] = field(default=(), repr=False)
    builder: str = "legacy"  # "legacy" or "buildkit"
    route: str = ROUTE_LEGACY  # what served the build: the engine API's legacy builder, its BuildKit, or a CLI
    legacy_steps: tuple[LegacyStep, ...] = field(default=(), repr=False)  # every step, as the legacy log told it

    @property
    def tag(self) -> str:
        """The name this build gave the image (the first of `tags`)."""
        return self.tags[0]

    @property
    def size_mb(self) -> float:
        return self.size / 1e6

    @property
    def fully_cached(self) -> bool:
        return self.cached_steps == self.cacheable_steps


def build(variant: str, *, target: str | None = None, tag: str | None = None,
          buildargs: dict[str, str] | None = None, context: str | Path | None = None,
          dockerfile: str | Path | None = None, nocache: bool = False,
          client: docker.DockerClient | None = None, engine: EngineInfo | None = None,
          reporter: Reporter | None = None, builder: str = "legacy", platform: str | None = None,
          secrets: dict[str, str] | None = None) -> BuildResult:
    """Build `variant` (a folder of dockerfiles/) and return a `BuildResult`; raise `BuildFailed`.

    `builder` is ``"legacy"`` or ``"buildkit"``; `secrets` (BuildKit only) maps a secret's id to
    the file that holds it; `platform` (``"linux/arm64"``) is the platform to build for.
    """
    if builder not in ("legacy", "buildkit"):
        raise DockerlabError(f"builder={builder!r} is not a builder: use \"legacy\" (the SDK's) or \"buildkit\".")
    if secrets and builder == "legacy":
        raise DockerlabError("The legacy builder has no secrets (RUN --mount=type=secret): build with builder=\"buildkit\".")
    if client is None or engine is None:
        client, engine = connect()
    dockerfile = Path(dockerfile) if dockerfile else DOCKERFILES / variant / "Dockerfile"
    if not dockerfile.is_file():
        raise DockerlabError(f"There is no Dockerfile at {dockerfile}. Variants here: {', '.join(variants())}.")
    context = Path(context) if context else CALCULATOR
    tag = tag or naming.image_name(variant if not target else f"{variant}-{target}")
    report = reporter or default_reporter()
    args = {**aptcache.build_args(), **(buildargs or {})}  # apt's proxy, when a workshop kit serves the packages
    bases = []
    for name, default in dockerfile_bases(dockerfile).items():
        if name not in args:
            base = resolve(default, client=client, reporter=report)
            bases.append(base)
            args[name] = base.ref

    labels = naming.labels("lesson", variant=variant)
    if builder == "buildkit":
        return _buildkit(client, engine, variant, context=context, dockerfile=dockerfile, tag=tag, target=target,
                         buildargs=args, labels=labels, nocache=nocache, platform=platform, secrets=secrets,
                         reporter=report, bases=tuple(bases))
    log: deque[str] = deque(maxlen=4000)
    parsed = LegacyLog()
    image_id: str | None = None
    started = time.monotonic()
    try:
        stream = client.api.build(
            path=str(context), dockerfile=str(dockerfile.resolve()), tag=tag, target=target,
            buildargs=args, labels=labels, rm=True, forcerm=True,
            nocache=nocache, pull=False, network_mode=engine.build_network, decode=True, timeout=3600, platform=platform,
            cache_from=_cache_sources(client, variant, tag, dockerfile=dockerfile, nocache=nocache,
                                      target=target, image_store=engine.image_store),
        )
        for event in stream:
            if "error" in event:
                log.append(event["error"].rstrip())
                raise _failed(variant, parsed.line, event["error"], log)
            if "aux" in event and "ID" in event["aux"]:
                image_id = event["aux"]["ID"]
            for line in event.get("stream", "").splitlines():
                log.append(line)
                if parsed.feed(line, time.monotonic() - started):
                    report.status(f"{variant}: {line[:100]}")
    except APIError as exc:
        raise _failed(variant, parsed.line, exc.explanation or str(exc), log) from None
    except DockerException as exc:
        raise _failed(variant, parsed.line, str(exc), log) from None
    finally:
        report.done()
    image_id = image_id or parsed.built
    if image_id is None:
        raise _failed(variant, parsed.line, "the engine reported no image at the end", log)
    seconds = time.monotonic() - started
    mine = [s for s in parsed.steps if not s.ours]  # the legacy builder appends one LABEL step per build label
    return _result(client, engine, image_id, tag, seconds=seconds, steps=parsed.total - len(labels) if parsed.steps else 0,
                   cached_steps=sum(s.cached for s in mine), cacheable_steps=sum(s.cacheable for s in mine),
                   bases=tuple(bases), log=tuple(log), timeline=_timeline(parsed.steps, seconds),
                   legacy_steps=tuple(parsed.steps))


def _timeline(steps: list[LegacyStep], seconds: float) -> tuple[StepTime, ...]:
    """The Dockerfile's steps (dockerlab's label steps left out), each ending where the next
    step starts: the legacy builder's log says only when a step starts."""
    ends = [s.start for s in steps[1:]] + [seconds]
    return tuple(StepTime(s.stage_name, s.instruction, s.start, end, s.cached) for s, end in zip(steps, ends) if not s.ours)


def _result(client, engine: EngineInfo, image_id: str, tag: str, **fields) -> BuildResult:
    image = client.images.get(image_id)
    others = tuple(t for t in image.tags if t != tag)  # the same image may carry other names too
    return BuildResult(image_id=image.id, tags=(tag, *others), size=unpacked_size(image, client=client, engine=engine),
                       **fields)


def _buildkit(client, engine: EngineInfo, variant: str, *, bases: tuple[BaseImage, ...], **options) -> BuildResult:
    from .buildkit import build_buildkit

    done = build_buildkit(client, image_store=engine.image_store, network_mode=engine.build_network, **options)
    t0 = min((s.started for s in done.steps + done.internal if s.started), default=None)

    def since(moment) -> float:
        return (moment - t0).total_seconds() if moment and t0 else 0.0

    timeline = tuple(StepTime(s.stage or "stage-0", s.instruction, since(s.started), since(s.completed or s.started),
                              s.cached) for s in done.steps)
    return _result(client, engine, done.image_id, done.tag, seconds=done.seconds, steps=len(done.steps),
                   cached_steps=done.cached_steps, cacheable_steps=sum(not s.instruction.startswith("FROM") for s in done.steps),
                   bases=bases, log=done.log, timeline=timeline, builder="buildkit", route=done.route)


def _cache_sources(client, variant: str, tag: str, *, dockerfile: Path, nocache: bool,
                   target: str | None = None, image_store: str = "classic") -> list[str]:
    """This image's earlier build and its variant's stage images, when they all exist.

    Images loaded from a workshop kit have no local build history: the legacy builder reuses
    their layers only when they are named as cache sources. Naming a source also limits the
    local cache to the sources' own chains, so only this variant's images are named, and only
    when every stage the build runs has its image: a final image after ``FROM scratch`` holds
    none of its build stage's steps, so naming it alone hid the local cache of that stage, and
    each build of the multi-stage image installed Go again (about 49 s of each of three tests of
    tests/test_binary.py on 2026-12-02, on a fresh engine where no stage image was tagged).

    On the containerd image store none are named. There the legacy builder's local cache works,
    but a named source is not: measured on Docker 26.1.5, a second build of the multi-stage
    image with its first build as source reused 0 of its steps, and a source after
    ``FROM scratch`` can stop the build ("failed to restore cached image ... failed to read
    diff archive").
    """
    if nocache or image_store == "containerd":
        return []
    named = stages(variant, text=dockerfile.read_text())
    if target in named:  # the legacy builder runs every stage up to the target
        named = named[: named.index(target) + 1]
    needed = [naming.image_name(f"{variant}-{stage}") for stage in named]
    if not all(client.images.list(name=t) for t in needed):
        return []  # the local cache serves, with all the chains it has
    return sorted({tag, *needed} if client.images.list(name=tag) else set(needed))


_OFFLINE = re.compile(r"Temporary failure resolving|Could not resolve|Failed to fetch|Unable to fetch|"
                      r"Unable to locate package|Network is unreachable|Connection timed out|no such host",
                      re.IGNORECASE)


def _failed(variant: str, step: str | None, error: str, log) -> BuildFailed:
    tail = "\n".join(list(log)[-15:])
    where = f"at {step}" if step else "before its first step"
    return BuildFailed(
        f"The build of {variant} failed {where}:\n  {error.strip()}\n"
        f"Last lines of the build log:\n{tail}\n" + advice(error, tail),
        step=step, log_tail=tail,
    )


def advice(error: str, tail: str) -> str:
    """What to do about a failed build, from what its log says went wrong."""
    text = f"{error}\n{tail}"
    if _OFFLINE.search(text) and aptcache.proxy():
        return (f"The step could not get its packages through the apt proxy {aptcache.proxy()} "
                f"({aptcache.PROXY_ENV}). Start the workshop kit's package cache there (python -m dockerlab "
                "kit serve), or ask your instructor for a kit that holds these packages; or unset "
                f"{aptcache.PROXY_ENV} to use the distribution's mirror, and build again.")
    if _OFFLINE.search(text):
        return ("The step could not reach a package mirror or registry: this is the network, not the "
                "Dockerfile. Connect to the internet (or load a workshop kit) and build again.")
    if "failed to restore cached image" in text:
        return ("The legacy builder could not reuse a cached image on this engine's image store. Build "
                "again with nocache=True, or remove the image named in the message.")
    return "Fix that step in the Dockerfile (a typo in an instruction or a command?) and build again."
