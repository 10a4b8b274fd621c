"""Lesson 06's exercise, a build experiment with a verdict: build the learner's Dockerfile, change
one line of main.go, build again, and say whether the cache served the toolchain's install and
the image is still bad-order's (`check_cache_order`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from . import experiments, naming
from .build import build
from .containers import RunResult, run
from .dockerfiles import froms, stages
from .engine import connect
from .errors import BuildFailed, DockerlabError
from .feedback import Feedback
from .units import seconds

__all__ = ["check_cache_order"]


def check_cache_order(dockerfile: str, *, edit=None) -> Feedback:
    """Build `dockerfile` (a Dockerfile's text, for calculator/) before and after a one-line change
    to main.go: did the second build take the Go toolchain's install step from the cache, and does
    its image run the changed calculator, and is that image bad-order's (one layer, the binary, run as
    `/calc`, as a `FROM scratch` last stage makes it)? `edit` is the change (a fresh one by default)."""
    if not isinstance(dockerfile, str) or "FROM" not in dockerfile.upper():
        return Feedback(False, ("✗ not answered yet: put the text of your Dockerfile in `answer`, a string with its FROM lines.",))
    edit = edit or experiments.one_line_edit()
    with tempfile.TemporaryDirectory(prefix="dockerlab-exercise-") as tmp:
        path = Path(tmp) / "Dockerfile"
        path.write_text(dockerfile)
        try:
            # A build names its variant's stage images as cache sources, and the legacy builder
            # then reuses only their steps: so build and tag each named stage, as `prepare` does.
            for target in (*stages(text=dockerfile), None):
                build("cache-exercise", dockerfile=path, target=target)
            with experiments.edited_context(edit) as context:
                after = build("cache-exercise", dockerfile=path, context=context,
                              tag=naming.image_name("cache-exercise-edited"))
        except BuildFailed as exc:
            error = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
            return Feedback(False, (f"✗ it does not build: {exc.step or 'before its first step'}: `{error}`. "
                                    "Fix that line and run the check again.",))
    lines, ok = [], True
    table = experiments.steps(after)
    install = table[table["instruction"].str.contains("apt-get install", regex=False)]
    if install.empty:
        ok = False
        lines.append("✗ no step installs the Go toolchain: keep `RUN apt-get update && apt-get install -y golang-go`.")
    else:
        step, instruction, cache = install.iloc[0][["step", "instruction", "cache"]]
        if cache == experiments.REUSED:
            lines.append(f"✓ after a one-line change to main.go, step {step} `{instruction}` came from the cache "
                         f"(the rebuild took {seconds(after.seconds)})")
        else:
            ok = False
            lines.append(f"✗ after a one-line change to main.go, step {step} `{instruction}` ran again "
                         f"(the rebuild took {seconds(after.seconds)}). A step before it changed with the source: "
                         "move `COPY . .` below it, so that only the steps after the copy re-run.")
    download = table[table["instruction"].str.contains("go mod download", regex=False)]
    if not download.empty:
        step, instruction, cache = download.iloc[0][["step", "instruction", "cache"]]
        if cache == experiments.REUSED:
            lines.append(f"✓ step {step} `{instruction}` came from the cache as well: it saw only `go.mod`, which did not change")
        else:
            ok = False
            lines.append(f"✗ after a one-line change to main.go, step {step} `{instruction}` ran again: a step before it "
                         "copied main.go. Copy only `go.mod` before the download (`COPY go.mod ./`), and the rest after it.")
    version = edit.new.split('"')[1]
    try:
        printed = run(after.tag, "--version")
    except DockerlabError as exc:
        printed = RunResult(exit_code=-1, stdout="", stderr=f"(it did not start: {exc})")
    if printed.stdout.strip() == f"calc {version}":
        lines.append(f"✓ the image runs the changed calculator: `--version` prints `calc {version}`")
    else:
        ok = False
        said = (printed.stdout or printed.stderr).strip().splitlines()
        lines.append(f"✗ `--version` should print `calc {version}`, the edited source's version, but printed "
                     f"`{said[0] if said else ''}`: copy the source, build it, and keep `ENTRYPOINT [\"/calc\"]`.")
    # The same image as bad-order's: its last stage, FROM scratch, holds one layer, the binary, as the entrypoint.
    attrs = connect()[0].images.get(after.image_id).attrs
    layers = len((attrs.get("RootFS") or {}).get("Layers") or [])
    entrypoint = (attrs.get("Config") or {}).get("Entrypoint")
    if layers == 1 and entrypoint == ["/calc"]:
        lines.append("✓ it makes the same image as bad-order's: one layer, the calculator, run as `/calc`")
    else:
        ok = False
        why = ("it has a single stage, so its image ships the base, the Go toolchain and the source"
               if len(froms(dockerfile)) < 2 else f"its last stage makes an image of {layers} layers whose entrypoint is `{entrypoint}`")
        lines.append(f"✗ it does not make the same image as bad-order's, one layer holding only the calculator: {why}. "
                     "Keep bad-order's last stage as it is: `FROM scratch`, "
                     "`COPY --from=build /usr/local/bin/calc /calc`, `ENTRYPOINT [\"/calc\"]`.")
    experiments.discard(after)
    return Feedback(ok, tuple(lines))

