"""The checkers that run the learner's image: what the calculator prints, whether an image
written by hand works, and which modules the Python calculator loads for one mode alone."""

from __future__ import annotations

import docker.errors

from . import naming
from .containers import run
from .engine import connect
from .errors import DockerlabError
from .feedback import Feedback, unanswered
from .python_case import loaded_modules

__all__ = ["check_predictions", "check_image_by_hand", "check_html_module"]


def check_predictions(predictions: dict[str, str], *, image: str, command: str | None = None) -> Feedback:
    """Compare predicted calculator outputs (expression -> text) with what `image` prints."""
    if (not isinstance(predictions, dict) or not predictions
            or all(unanswered(v) or str(v).strip() == "?" for v in predictions.values())):
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
        said = (result.stdout or result.stderr).strip() or f"nothing (exit code {result.exit_code})"
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


def check_html_module(answer: str, *, image: str) -> Feedback:
    """Is `answer` a module of the standard library that the Python calculator in `image` (lesson
    08) loads with ``--html`` and not without: a file the image carries for that mode alone?
    It runs the app twice under ``python -v`` (`python_case.loaded_modules`) and compares."""
    if unanswered(answer):
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

