"""Building the tutorial's images through the Docker SDK, with live progress.

`build("multi-stage")` builds ``dockerfiles/multi-stage/Dockerfile`` with ``calculator/`` as its
context. Bases named by ``ARG NAME=default`` before ``FROM`` are resolved offline-first
(see `dockerlab.bases`) and passed as build arguments. The SDK always uses the legacy builder:
every stage before the target is built, and there is no BuildKit syntax.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker.errors import APIError, DockerException

from . import naming
from .bases import BaseImage, resolve
from .engine import EngineInfo, connect
from .errors import BuildFailed, DockerlabError
from .progress import Reporter, reporter as default_reporter

__all__ = ["ROOT", "DOCKERFILES", "CALCULATOR", "variants", "dockerfile", "stages", "BuildResult", "build", "dockerfile_bases"]

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILES = ROOT / "dockerfiles"
CALCULATOR = ROOT / "calculator"

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$", re.IGNORECASE)
_FROM = re.compile(r"^\s*FROM\s+(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE)


def variants() -> list[str]:
    """The image variants: one folder with a Dockerfile each under dockerfiles/."""
    return sorted(p.parent.name for p in DOCKERFILES.glob("*/Dockerfile"))


def dockerfile(variant: str) -> str:
    """The text of a variant's Dockerfile, to read in a lesson."""
    return (DOCKERFILES / variant / "Dockerfile").read_text()


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


def stages(variant: str, *, text: str | None = None) -> list[str]:
    """The named stages of a variant's Dockerfile (or of `text`), in order: ``["build"]``."""
    text = dockerfile(variant) if text is None else text
    return [m.group(2) for line in text.splitlines() if (m := _FROM.match(line)) and m.group(2)]


def dockerfile_bases(dockerfile: str | Path) -> dict[str, str]:
    """The ``ARG`` defaults that a ``FROM`` line uses, e.g. ``{"BASE": "ubuntu:24.04"}``."""
    args: dict[str, str] = {}
    used: dict[str, str] = {}
    for line in Path(dockerfile).read_text().splitlines():
        if m := _ARG.match(line):
            args.setdefault(m.group(1), m.group(2))
        elif m := _FROM.match(line):
            for name, default in args.items():
                if f"${{{name}}}" in m.group(1) or m.group(1) == f"${name}":
                    used[name] = default
    return used


def build(variant: str, *, target: str | None = None, tag: str | None = None,
          buildargs: dict[str, str] | None = None, context: str | Path | None = None,
          dockerfile: str | Path | None = None, nocache: bool = False,
          client: docker.DockerClient | None = None, engine: EngineInfo | None = None,
          reporter: Reporter | None = None) -> BuildResult:
    """Build `variant` (a folder of dockerfiles/) and return a `BuildResult`; raise `BuildFailed`."""
    if client is None or engine is None:
        client, engine = connect()
    dockerfile = Path(dockerfile) if dockerfile else DOCKERFILES / variant / "Dockerfile"
    if not dockerfile.is_file():
        raise DockerlabError(f"There is no Dockerfile at {dockerfile}. Variants here: {', '.join(variants())}.")
    context = Path(context) if context else CALCULATOR
    tag = tag or naming.image_name(variant if not target else f"{variant}-{target}")
    report = reporter or default_reporter()
    args = dict(buildargs or {})
    bases = []
    for name, default in dockerfile_bases(dockerfile).items():
        if name not in args:
            base = resolve(default, client=client, reporter=report)
            bases.append(base)
            args[name] = base.ref

    labels = naming.labels("lesson", variant=variant)
    log: deque[str] = deque(maxlen=4000)
    steps = cached = cacheable = 0
    seen_from = False
    step_line: str | None = None
    ours = False
    image_id: str | None = None
    started = time.monotonic()
    try:
        stream = client.api.build(
            path=str(context), dockerfile=str(dockerfile.resolve()), tag=tag, target=target,
            buildargs=args, labels=labels, rm=True, forcerm=True,
            nocache=nocache, pull=False, network_mode=engine.build_network, decode=True, timeout=3600,
            cache_from=_cache_sources(client, variant, tag, dockerfile=dockerfile, nocache=nocache),
        )
        for event in stream:
            if "error" in event:
                log.append(event["error"].rstrip())
                raise _failed(variant, step_line, event["error"], log)
            if "aux" in event and "ID" in event["aux"]:
                image_id = event["aux"]["ID"]
            for line in event.get("stream", "").splitlines():
                log.append(line)
                if m := _STEP.match(line):
                    # The legacy builder appends one LABEL step per build label: not the Dockerfile's.
                    steps, step_line = int(m.group(2)) - len(labels), line
                    ours = m.group(3).startswith(f"LABEL {naming.LABEL}")
                    keyword = m.group(3).split(maxsplit=1)[0].upper() if m.group(3).strip() else ""
                    seen_from |= keyword == "FROM"
                    cacheable += not ours and keyword != "FROM" and not (keyword == "ARG" and not seen_from)
                    report.status(f"{variant}: {line[:100]}")
                elif line.strip() == "---> Using cache" and not ours:
                    cached += 1
                elif (m := re.match(r"^Successfully built ([0-9a-f]+)$", line)) and not image_id:
                    image_id = m.group(1)
    except APIError as exc:
        raise _failed(variant, step_line, exc.explanation or str(exc), log) from None
    except DockerException as exc:
        raise _failed(variant, step_line, str(exc), log) from None
    finally:
        report.done()
    if image_id is None:
        raise _failed(variant, step_line, "the engine reported no image at the end", log)
    image = client.images.get(image_id)
    others = tuple(t for t in image.tags if t != tag)  # the same image may carry other names too
    return BuildResult(image_id=image.id, tags=(tag, *others), size=int(image.attrs["Size"]),
                       seconds=time.monotonic() - started, steps=steps, cached_steps=cached, cacheable_steps=cacheable,
                       bases=tuple(bases), log=tuple(log))


def _cache_sources(client, variant: str, tag: str, *, dockerfile: Path, nocache: bool) -> list[str]:
    """This image's earlier build and its variant's stage images, when they exist.

    Images loaded from a workshop kit have no local build history: the legacy builder reuses
    their layers only when they are named as cache sources. Naming a source also limits the
    local cache to the sources' own chains, so only this variant's images are named.
    """
    if nocache:
        return []
    named = stages(variant, text=dockerfile.read_text())
    wanted = {tag, *(naming.image_name(f"{variant}-{stage}") for stage in named)}
    return sorted(t for t in wanted if client.images.list(name=t))


def _failed(variant: str, step: str | None, error: str, log) -> BuildFailed:
    tail = "\n".join(list(log)[-15:])
    where = f"at {step}" if step else "before its first step"
    return BuildFailed(
        f"The build of {variant} failed {where}:\n  {error.strip()}\n"
        f"Last lines of the build log:\n{tail}\n"
        "Fix that step in the Dockerfile (a typo in an instruction or a command?) and build again.",
        step=step, log_tail=tail,
    )
