"""Building with BuildKit through the Docker SDK, without the docker CLI or buildx.

The SDK's `APIClient.build` always asks for the legacy builder. The engine's ``POST /build``
also takes ``version=2``, which selects BuildKit: only the stages the target needs are built,
independent stages run in parallel, and progress arrives as events
``{"id": "moby.buildkit.trace", "aux": "<base64 StatusResponse>"}`` (read by
`dockerlab.buildkit_trace`). The image id arrives as ``{"id": "moby.image.id", "aux": {"ID": ...}}``
and a failure as ``{"error": ..., "errorDetail": ...}``.

`build_v2` reuses the SDK's own request plumbing (``_url``, ``_post``, ``_stream_helper``) and
its context helpers (``exclude_paths``, ``create_archive``). ``.dockerignore`` is applied here:
the engine's BuildKit (seen on 20.10) ignores the one inside a tar context. The context is sent
gzipped: BuildKit recognises an uncompressed tar by its first 1,024 bytes, and Python's PAX tars
(an extended header before each file) do not fit, so the tar would be read as the Dockerfile.

There is no session (the gRPC channel the CLI opens), so ``RUN --mount=type=secret``, a
``# syntax=`` line and pulling a base all fail with "no active sessions": bases must already be
on the engine. Engines on the containerd image store reject a tar context (moby/moby#47717).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import requests
from docker.errors import APIError, DockerException
from docker.utils.build import create_archive, exclude_paths

from .buildkit_trace import Step, Trace, decode_status
from .errors import BuildFailed, DockerlabError
from .progress import Reporter, reporter as default_reporter

__all__ = ["DOCKERFILE_NAME", "ROUTE_API", "BuildKitResult", "build_v2", "build_buildkit", "route_for", "context_tar"]

TRACE_ID = "moby.buildkit.trace"
IMAGE_ID = "moby.image.id"
ROUTE_API = "engine API, BuildKit (version=2)"
DOCKERFILE_NAME = ".dockerlab.Dockerfile"
"""The name a Dockerfile from outside the context gets inside the context tar."""


@dataclass(frozen=True)
class BuildKitResult:
    """What a BuildKit build made: the image, its Dockerfile steps in order, and the time taken."""

    image_id: str
    tag: str
    steps: tuple[Step, ...]  # Dockerfile steps only, in the order BuildKit first reported them
    cached_steps: int  # steps other than FROM served from the build cache
    seconds: float
    internal: tuple[Step, ...] = field(default=(), repr=False)  # BuildKit's own vertexes
    log: tuple[str, ...] = field(default=(), repr=False)  # as `docker build --progress=plain`
    route: str = ROUTE_API  # what served the build: the engine API, or a CLI (see `route_for`)

    @property
    def stages(self) -> tuple[str | None, ...]:
        """The stages that were built, in order of their first step (None: a one-stage Dockerfile)."""
        return tuple(dict.fromkeys(step.stage for step in self.steps))


def context_tar(context: Path, dockerfile: Path):
    """The build context as a gzipped tar file object (honouring ``.dockerignore``) and the Dockerfile's name in it.

    ``.dockerignore`` is applied here, by the SDK's own matcher: the engine's BuildKit (20.10)
    does not apply the one inside a tar context. A Dockerfile outside the context is added as
    `DOCKERFILE_NAME`, always the same name, and ``COPY . .`` copies it too: the SDK's random
    name would change that step's cache key on every build.
    """
    context, dockerfile = Path(context).resolve(), Path(dockerfile).resolve()
    if not context.is_dir():
        raise DockerlabError(f"The build context {context} is not a folder. Pass the folder the Dockerfile's COPY reads from.")
    if not dockerfile.is_file():
        raise DockerlabError(f"There is no Dockerfile at {dockerfile}. Check the path and build again.")
    patterns: list[str] = []
    ignore = context / ".dockerignore"
    if ignore.is_file():
        patterns = [line.strip() for line in ignore.read_text().splitlines() if line.strip() and not line.strip().startswith("#")]
    if dockerfile.is_relative_to(context):
        name, extra = dockerfile.relative_to(context).as_posix(), []
    else:
        name = DOCKERFILE_NAME
        extra = [(name, dockerfile.read_text())]
    files = sorted(exclude_paths(str(context), patterns, dockerfile=name))
    return create_archive(root=str(context), files=files, gzip=True, extra_files=extra), name


def build_v2(client: docker.DockerClient, *, context: Path, dockerfile: Path, tag: str, target: str | None = None,
             buildargs: dict[str, str] | None = None, labels: dict[str, str] | None = None, nocache: bool = False,
             network_mode: str | None = None, platform: str | None = None, reporter: Reporter | None = None,
             timeout: int = 3600) -> BuildKitResult:
    """Build `dockerfile` with BuildKit and tag the image `tag`; raise `BuildFailed` naming the failing step.

    `network_mode` is for ``RUN`` steps: pass ``EngineInfo.build_network``. On an engine without a
    bridge network a ``RUN`` step fails with "network bridge not found" unless it is ``"host"``.
    """
    report = reporter or default_reporter()
    api = client.api
    body, name = context_tar(context, dockerfile)
    params: dict[str, object] = {"version": "2", "t": tag, "dockerfile": name, "nocache": nocache}
    if target:
        params["target"] = target
    if buildargs:
        params["buildargs"] = json.dumps(buildargs)
    if labels:
        params["labels"] = json.dumps(labels)
    if network_mode:
        params["networkmode"] = network_mode
    if platform:
        params["platform"] = platform
    headers = {"Content-Type": "application/tar", "Content-Encoding": "gzip"}
    trace = Trace()
    image_id: str | None = None
    label = tag
    response = None
    started = time.monotonic()
    try:
        response = api._post(api._url("/build"), data=body, params=params, headers=headers, stream=True, timeout=timeout)
        for event in api._stream_helper(response, decode=True):
            if event.get("id") == TRACE_ID and isinstance(event.get("aux"), str):
                for vertex in trace.add(decode_status(_unbase64(event["aux"]))):
                    report.status(f"{label}: {vertex.name[:100]}")
            elif event.get("id") == IMAGE_ID and isinstance(event.get("aux"), dict):
                image_id = event["aux"].get("ID")
            elif "error" in event:
                detail = event.get("errorDetail") or {}
                raise _failed(label, trace, str(detail.get("message") or event["error"]))
            elif isinstance(event.get("stream"), str):
                trace.log.extend(event["stream"].splitlines())
    except APIError as exc:
        raise _failed(label, trace, exc.explanation or str(exc)) from None
    except (DockerException, requests.RequestException) as exc:
        raise _failed(label, trace, str(exc)) from None
    finally:
        body.close()
        if response is not None:
            response.close()
        report.done()
    if not image_id:
        raise _failed(label, trace, "the engine reported no image id at the end of the build")
    return _result(image_id, tag, trace, time.monotonic() - started, ROUTE_API)


def _result(image_id: str, tag: str, trace, seconds: float, route: str) -> BuildKitResult:
    every = trace.steps()
    steps = tuple(s for s in every if not s.internal)
    return BuildKitResult(image_id=image_id, tag=tag, steps=steps, cached_steps=sum(s.cached for s in steps if not _is_from(s)),
                          seconds=seconds, internal=tuple(s for s in every if s.internal), log=tuple(trace.log), route=route)


def route_for(image_store: str, *, secrets: bool = False) -> str:
    """Which route a BuildKit build takes: the engine API where it can, a CLI where a session is
    needed (secrets, or the containerd image store, moby/moby#47717); raise if no CLI can."""
    if not secrets and image_store != "containerd":
        return ROUTE_API
    from .buildkit_cli import find_cli

    cli = find_cli()
    if cli is None:
        why = "secrets" if secrets else "the containerd image store"
        raise DockerlabError(
            f"A BuildKit build with {why} needs a session, which only a docker CLI opens here, and no CLI on "
            "PATH can: `docker buildx version` fails, and no docker CLI older than 23.0 is installed. Install "
            "the buildx plugin (Debian/Ubuntu: apt-get install docker-buildx; or scripts/setup.sh --dev), "
            "or build with builder=\"legacy\".")
    return cli.route


def build_buildkit(client: docker.DockerClient, *, image_store: str, context: Path, dockerfile: Path, tag: str,
                   secrets: dict[str, str] | None = None, reporter: Reporter | None = None,
                   **options) -> BuildKitResult:
    """Build with BuildKit by the route `route_for` picks; `options` are those of `build_v2`.

    `secrets` maps a secret's id to the file holding it (``RUN --mount=type=secret,id=...``).
    """
    route = route_for(image_store, secrets=bool(secrets))
    if route == ROUTE_API:
        return build_v2(client, context=context, dockerfile=dockerfile, tag=tag, reporter=reporter, **options)
    from .buildkit_cli import build_cli, find_cli

    report = reporter or default_reporter()
    options.pop("timeout", None)
    try:
        image_id, plain, seconds = build_cli(find_cli(), reporter=report, label=tag, context=Path(context),
                                             dockerfile=Path(dockerfile), tag=tag, secrets=secrets, **options)
    finally:
        report.done()
    if not image_id:
        raise _failed(tag, plain, plain.error(), route=route)
    # The CLI's --iidfile names the config's digest; the containerd store's image id is the
    # manifest's. The tag names the image on every store.
    return _result(client.images.get(tag).id, tag, plain, seconds, route)


def _is_from(step: Step) -> bool:
    """A FROM step: BuildKit marks one of a local image cached on some builds and not others."""
    return step.instruction.split(maxsplit=1)[:1] == ["FROM"]


def _unbase64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DockerlabError(f"A BuildKit progress event is not base64 ({exc}): {text[:60]!r}. "
                             "Build again; report the engine's version if it happens every time.") from None


def _failed(label: str, trace, error: str, *, route: str = ROUTE_API) -> BuildFailed:
    """`trace` is a `Trace` or a `buildkit_cli.PlainLog`: both know their failed step and their log."""
    from .build import advice

    step = trace.failed()
    lines = list(step.logs) if step and step.logs else trace.log
    tail = "\n".join(lines[-15:])
    where = f"at {step.name}" if step else "before its first step"
    return BuildFailed(
        f"The BuildKit build of {label} ({route}) failed {where}:\n  {error.strip()}\n"
        f"Last lines of {'that step' if step and step.logs else 'the build'}'s log:\n{tail}\n"
        + advice(error, tail),
        step=step.name if step else None, log_tail=tail,
    )

