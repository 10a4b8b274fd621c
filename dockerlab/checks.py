"""Exercise checkers: each compares a learner's answer with what the engine really does, and
says kindly what is right and what to look at again. They return a `Feedback`, which a notebook
shows as a short list; they never raise for a wrong answer."""

from __future__ import annotations

import posixpath
import tempfile
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from . import experiments, naming
from .build import build
from .containers import RunResult, read_file, run
from .dockerfiles import froms, stages
from .engine import connect
from .errors import BuildFailed, DockerlabError, ImageNotFound
from .filetree import final_files
from .history import history
from .python_case import loaded_modules
from .scan import scan
from .sizes import image_sizes
from .units import mb, seconds

__all__ = ["Feedback", "check_predictions", "check_biggest_step", "check_binary_share", "check_ratio", "check_source_ratio", "check_biggest_unneeded_file", "check_image_by_hand", "check_cache_order", "check_secret_gone", "check_html_module"]


@dataclass(frozen=True)
class Feedback:
    """The verdict on one exercise: `ok` and one line per item."""

    ok: bool
    lines: tuple[str, ...]

    def _repr_markdown_(self) -> str:
        head = "**Well done: all correct.**" if self.ok else "**Not yet.** Look again at the items marked ✗:"
        return head + "\n\n" + "\n".join(f"- {line}" for line in self.lines)

    def __repr__(self) -> str:
        return ("all correct" if self.ok else "not yet") + ": " + "; ".join(self.lines)


def _unanswered(value: object) -> bool:
    """Is `value` still the exercise's placeholder (`...`), or nothing at all?"""
    return value is ... or value is None or (isinstance(value, str) and not value.strip())


def _squash(text: object) -> str:
    """`text` in lower case with its runs of white space as single spaces, for matching."""
    return " ".join(str(text).split()).lower()


def check_predictions(predictions: dict[str, str], *, image: str, command: str | None = None) -> Feedback:
    """Compare predicted calculator outputs (expression -> text) with what `image` prints."""
    if (not isinstance(predictions, dict) or not predictions
            or all(_unanswered(v) or str(v).strip() == "?" for v in predictions.values())):
        return Feedback(False, ("✗ not answered yet. Fill in the dictionary first: one expression "
                                "and what you expect it to print, as text.",))
    lines, ok = [], True
    for expression, predicted in predictions.items():
        result = run(image, str(expression), entrypoint=[command] if command else None)
        actual = (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr).strip() else ""
        if str(predicted).strip() == actual:
            lines.append(f"✓ `{expression}` prints `{actual}`")
        else:
            ok = False
            hint = ("It is an error: write the first line of the message, which starts with `calc:`."
                    if actual.startswith("calc:") else
                    "Check the precedence and associativity rules in parse.go, and how Format prints a number.")
            lines.append(f"✗ `{expression}`: you said `{predicted}`, the calculator prints `{actual}`. {hint}")
    return Feedback(ok, tuple(lines))


def check_biggest_step(answer: str, *, image: str) -> Feedback:
    """Is `answer` (part of an instruction) the build step that made the biggest layer of `image`?
    It must name that step and no other: words that every RUN step shares, such as `/bin/sh -c`
    or `RUN`, do not say which step it is."""
    if _unanswered(answer):
        return Feedback(False, ("✗ not answered yet: put part of the biggest step's instruction in `answer`, "
                                "for example its first few words.",))
    return _biggest_step(answer, history(connect()[0].images.get(image)))


def _biggest_step(answer: str, steps) -> Feedback:
    """The verdict of `check_biggest_step` on a history table (`history.history`): the pure part."""
    biggest = steps.loc[steps["size"].idxmax()]
    words = _squash(answer)
    named = steps[[words in _squash(instruction) or words in _squash(full)
                   for instruction, full in steps[["instruction", "full"]].itertuples(index=False)]]
    if list(named.index) == [biggest.name]:
        return Feedback(True, (f"✓ the biggest layer, {mb(biggest['size'])}, comes from `{biggest['instruction']}`",))
    sort = "Sort `steps` by its size column, largest first, and copy a few words of the instruction at the top."
    if named.empty:
        why = f"no step's instruction contains `{answer}`. Copy a few words from the `instruction` column. {sort}"
    elif biggest.name in named.index:
        why = (f"`{answer}` is part of {len(named)} steps' instructions, not only the biggest one's: "
               "give words that only the biggest step has.")
    else:
        step = named.loc[named["size"].idxmax()]
        why = (f"`{answer}` names step {step['step']}, `{step['instruction']}`, whose layer is "
               f"{mb(step['size'])}; another step made a bigger one. {sort}")
    return Feedback(False, (f"✗ {why}",))


def check_binary_share(answer: float, *, image: str, path: str = "/usr/local/bin/calc") -> Feedback:
    """Is `answer` the fraction of `image`'s size that the file at `path` (the calculator) makes,
    to within 1%? It reads the file out of the image and the size of the layer that made it."""
    if _unanswered(answer):
        return Feedback(False, ("✗ not answered yet: put a fraction in `answer`, the binary's size in bytes "
                                "divided by the image's.",))
    image_size = image_sizes(image).unpacked  # what a build's `size` is, on either image store
    steps = history(connect()[0].images.get(image))
    built = steps[steps["instruction"].str.contains(path, regex=False) & steps["instruction"].str.startswith("RUN")]
    layer = int(built["size"].iloc[0]) if not built.empty else None
    return _binary_share(answer, image_size=image_size, binary_size=len(read_file(image, path)), layer_size=layer, path=path)


def _binary_share(answer, *, image_size: int, binary_size: int, layer_size: int | None, path: str) -> Feedback:
    """The verdict of `check_binary_share` on the three sizes: the pure part."""
    actual = binary_size / image_size
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback(False, (f"✗ `{answer!r}` is not a number. Divide the binary's size by the image's.",))
    close = lambda x, y: abs(x - y) <= 0.01 * abs(y)  # noqa: E731
    if close(value, actual):
        return Feedback(True, (f"✓ {path} is {mb(binary_size)}: {actual:.2%} of the image; the rest is what "
                               "the build needed, not what the calculator needs",))
    if close(value, 100 * actual):
        hint = "That is a percentage: the question asks for a fraction, a number below 1. Divide by 100."
    elif value > 0 and close(1 / value, actual):
        hint = "You divided the image's size by the binary's: turn it around."
    elif layer_size and close(value, layer_size / image_size):
        hint = (f"That is the share of the whole `go build` layer ({mb(layer_size)}), which also holds Go's own "
                f"compile cache. Measure the file itself: `len(read_file(single.tag, \"{path}\"))`.")
    else:
        hint = f"Read the file's size in bytes (`len(read_file(single.tag, \"{path}\"))`) and divide it by `single.size`."
    return Feedback(False, (f"✗ {value:.4g} is not it. {hint}",))


def check_source_ratio(answer: float, *, binary: int, source) -> Feedback:
    """Is `answer` how many times bigger the binary (`binary` bytes) is than the Go source it is
    compiled from: the `.go` files of the folder `source`, tests left out? Within 1%."""
    if _unanswered(answer):
        return Feedback(False, ("✗ not answered yet: put a number in `answer`, the binary's size divided by "
                                "the source's.",))
    files = sorted(Path(source).glob("*.go"))
    code = sum(f.stat().st_size for f in files if not f.name.endswith("_test.go"))
    everything = sum(f.stat().st_size for f in files)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback(False, (f"✗ `{answer!r}` is not a number. Divide one size by the other.",))
    actual = binary / code
    close = lambda x, y: abs(x - y) <= 0.01 * abs(y)  # noqa: E731
    if close(value, actual):
        return Feedback(True, (f"✓ the binary is {actual:,.0f} times its {code:,} bytes of source: the rest is the "
                               "Go runtime and the packages it imports, linked in",))
    if value > 0 and close(1 / value, actual):
        hint = "You divided the source by the binary: turn it around."
    elif close(value, binary / everything):
        hint = "You counted the `_test.go` files too: tests are not compiled into the binary. Leave them out."
    else:
        hint = "Add up the sizes in bytes of the `.go` files that do not end in `_test.go`, and divide the binary's size by it."
    return Feedback(False, (f"✗ {value:,.4g} is not it. {hint}",))


def check_ratio(ratio: float, *, large: int, small: int) -> Feedback:
    """Is `ratio` the number of times `small` (bytes) fits in `large`, to within 1%?"""
    actual = large / small
    if _unanswered(ratio):
        return Feedback(False, ("✗ not answered yet: put a number in the answer, one size divided by the other.",))
    try:
        value = float(ratio)
    except (TypeError, ValueError):
        return Feedback(False, (f"✗ `{ratio!r}` is not a number. Divide one size by the other.",))
    if abs(value - actual) <= 0.01 * actual:
        return Feedback(True, (f"✓ the small image is {actual:,.0f} times smaller",))
    if value > 0 and abs(1 / value - actual) <= 0.01 * actual:
        hint = "You divided the smaller size by the larger one: turn it around."
    elif abs(value - (large - small)) <= 0.01 * (large - small):
        hint = "That is the difference in bytes; the question asks how many times: divide instead of subtracting."
    else:
        hint = "Divide the larger size by the smaller one, both in bytes."
    return Feedback(False, (f"✗ {value:,.4g} is not it. {hint}",))


def check_biggest_unneeded_file(answer: str, *, files, needed: tuple[str, ...], skip_layers: tuple[int, ...] = ()) -> Feedback:
    """Is `answer` the biggest regular file of the final filesystem, `needed` paths aside and
    counting only the files whose surviving copy comes from a layer not in `skip_layers`?"""
    if _unanswered(answer):
        return Feedback(False, ("✗ not answered yet: put the file's path in `answer`, as the table of files shows it.",))
    needed = tuple(p.lstrip("/") for p in needed)
    final = final_files(files)
    candidates = final[(final["type"] == "file") & ~final["path"].isin(needed) & ~final["layer"].isin(skip_layers)]
    biggest = candidates.loc[candidates["size"].idxmax()]
    path = str(answer).strip().lstrip("/")
    mine = final[final["path"] == path]
    if (not mine.empty and path not in needed and mine["type"].iloc[0] == "file" and mine["size"].iloc[0] == biggest["size"]
            and mine["layer"].iloc[0] not in skip_layers):
        return Feedback(True, (f"✓ /{path}, {mb(biggest['size'])}, from layer {mine['layer'].iloc[0]}: "
                               "not needed to run the calculator",))
    if mine.empty:
        layers = sorted(files.loc[files["path"] == path, "layer"])
        if layers:
            return Feedback(False, (f"✗ /{path} is in layer {layers[-1]}'s files, but a later layer removed it (a whiteout), "
                                    "so it is not in the final filesystem. Look only at the files that survive: "
                                    "`dockerlab.filetree.final_files(table)`.",))
        return Feedback(False, (f"✗ there is no file /{path} in the image. Copy a path from the table of files.",))
    if path in needed:
        return Feedback(False, (f"✗ /{path} is needed to run the calculator. Find the biggest file besides it.",))
    if mine["layer"].iloc[0] in skip_layers:
        return Feedback(False, (f"✗ /{path} comes from layer {mine['layer'].iloc[0]}, which the question leaves out. "
                                "Keep only the rows of the final filesystem whose `layer` is another one.",))
    if mine["type"].iloc[0] != "file":
        return Feedback(False, (f"✗ /{path} is a {mine['type'].iloc[0]}, not a regular file: its size is not what "
                                "takes the space. Look only at the rows whose type is `file`.",))
    return Feedback(False, (f"✗ /{path} is {mb(mine['size'].iloc[0])}, but a bigger file is not needed either. "
                            "Sort the files by size, largest first.",))


def check_image_by_hand(tag: str, *, user: str | None = None, labels: dict[str, str] | None = None,
                        expression: str = "6*7", expected: str = "42") -> Feedback:
    """Is `tag` an image written by hand that works: on the engine, labelled as the tutorial's,
    one layer, the calculator as its entrypoint (`expression` prints `expected`), and, when
    given, running as `user` and carrying `labels`?"""
    if not isinstance(tag, str) or not tag.strip():
        return Feedback(False, ("✗ not answered yet: put the image's name in `answer` first, for example "
                                f"`image_name(\"by-hand-nonroot\")` ({naming.image_name('by-hand-nonroot')}).",))
    client = connect()[0]
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return Feedback(False, (f"✗ there is no image `{tag}` on this engine yet. Write the archive with "
                                "`write_image(..., tag=tag)`, then `load()` it.",))
    config = image.attrs.get("Config") or {}
    have = config.get("Labels") or {}
    lines: list[str] = []

    def item(good: bool, yes: str, no: str) -> bool:
        lines.append(f"✓ {yes}" if good else f"✗ {no}")
        return good

    ok = item(have.get(naming.LABEL) == naming.prefix(),
              f"it carries the tutorial's label `{naming.LABEL}={naming.prefix()}`",
              f"it lacks the label `{naming.LABEL}={naming.prefix()}`, so `python -m dockerlab clean` cannot find it: "
              "write it with `write_image()`, which adds it.")
    count = len((image.attrs.get("RootFS") or {}).get("Layers") or [])
    ok &= item(count == 1, "it has exactly one layer",
               f"it has {count} layers; an image written by `write_image()` has one.")
    try:
        result = run(tag, expression, client=client)
        said = (result.stdout or result.stderr).strip()
    except DockerlabError as exc:
        said = f"(it did not start: {exc})"
    ok &= item(said == expected, f"`{expression}` prints `{expected}`",
               f"`{expression}` should print `{expected}`, and it printed `{said[:120]}`. Is the entrypoint "
               "the calculator's path in the image (`['/calc']`), with mode 0o755?")
    if user is not None:
        actual = config.get("User") or ""
        ok &= item(actual == str(user), f"it runs as user `{user}`",
                   f"it runs as user `{actual or 'root (none set)'}`, not `{user}`: pass `user=\"{user}\"`.")
    for key, value in (labels or {}).items():
        ok &= item(have.get(key) == str(value), f"it carries the label `{key}={value}`",
                   (f"the label `{key}` is `{have[key]}`, not `{value}`" if key in have
                    else f"the label `{key}` is missing") + ": pass it in `labels=`.")
    return Feedback(bool(ok), tuple(lines))


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


def check_secret_gone(image: str, *, name: str = ".env") -> Feedback:
    """Is the leak demonstration's secret file `name` absent from `image`, an image that still holds
    the calculator's source in /src (so that it was built from the leaky context)?"""
    if not isinstance(image, str) or not image.strip():
        return Feedback(False, ("✗ not answered yet: put the image's name in `answer`: the `.tag` of your build's result.",))
    try:
        result = scan(image)
    except ImageNotFound:
        return Feedback(False, (f"✗ there is no image `{image}` on this engine yet: build it first, "
                                "with `context=context` inside the `with` block.",))
    lines, ok = [], True
    ours = [p for p in result.sources if p.startswith("/src/")]
    if ours:
        lines.append(f"✓ the image holds the calculator's source ({len(ours)} Go files in /src): "
                     "the single-stage build copied the context")
    else:
        ok = False
        lines.append("✗ the image holds no source in /src: build the single-stage Dockerfile, whose `COPY . .` "
                     "copies the whole context, so that the check means something.")
    leaked = [p for p in result.secrets if posixpath.basename(p) == name]
    if leaked:
        ok = False
        lines.append(f"✗ `{leaked[0]}` is still in the image. Write a line `{name}` into a file `.dockerignore` "
                     "in the context directory before the build: what it names is never sent to the engine.")
    else:
        lines.append(f"✓ no `{name}` in the image: it never left your machine")
    return Feedback(ok, tuple(lines))


def check_html_module(answer: str, *, image: str) -> Feedback:
    """Is `answer` a module of the standard library that the Python calculator in `image` (lesson
    08) loads with ``--html`` and not without: a file the image carries for that mode alone?
    It runs the app twice under ``python -v`` (`python_case.loaded_modules`) and compares."""
    if _unanswered(answer):
        return Feedback(False, ("✗ not answered yet: put a module's name in `answer`, as a string such as `\"json\"`.",))
    return _html_module(answer, html=loaded_modules(image, ["--html", "1+2"]), plain=loaded_modules(image, ["1+2"]))


def _html_module(answer: str, *, html, plain) -> Feedback:
    """The verdict of `check_html_module` on two `python_case.loaded_modules` tables: the pure part."""
    name = str(answer).strip()
    rows = html[html["module"] == name]
    if rows.empty:
        return Feedback(False, (f"✗ a run with `--html` does not load `{name}`. List what it loads with "
                                "`python_case.loaded_modules(image, [\"--html\", \"1+2\"])`, and copy a name "
                                "from its `module` column.",))
    row = rows.iloc[0]
    if name in set(plain["module"]):
        return Feedback(False, (f"✗ `{name}` is loaded by a plain run too, without `--html`: every run of the app "
                                "needs it. Keep the modules of the `--html` run that are not in the plain run's list.",))
    if row["where"] == "interpreter":
        return Feedback(False, (f"✗ `{name}` is {row['kind']} into the interpreter's binary: the image carries it "
                                "whatever the app imports. Look for a module with a file, in the standard library.",))
    if row["where"] != "standard library":
        return Feedback(False, (f"✗ `{name}` comes from the {row['where']} ({row['path']}), not from the standard "
                                "library: look for a module that MarkupSafe imports from Python's own library.",))
    return Feedback(True, (f"✓ only `--html` loads `{name}` ({row['path']}): MarkupSafe imports it, and the "
                           "distroless-like image carries that file for the `--html` mode alone",))
