"""The checkers of what an image holds: the step that made its biggest layer, the biggest file
it need not carry, and whether a secret of the build context is in it."""

from __future__ import annotations

import posixpath

from .engine import connect
from .errors import ImageNotFound
from .feedback import Feedback, squash, unanswered
from .filetree import final_files
from .history import history
from .scan import scan
from .units import mb

__all__ = ["check_biggest_step", "check_biggest_unneeded_file", "check_secret_gone"]


def check_biggest_step(answer: str, *, image: str) -> Feedback:
    """Is `answer` (part of an instruction) the build step that made the biggest layer of `image`?
    It must name that step and no other: words that every RUN step shares, such as `/bin/sh -c`
    or `RUN`, do not say which step it is."""
    if unanswered(answer):
        return Feedback(False, ("✗ not answered yet: put part of the biggest step's instruction in `answer`, "
                                "for example its first few words.",))
    return _biggest_step(answer, history(connect()[0].images.get(image)))


def _biggest_step(answer: str, steps) -> Feedback:
    """The verdict of `check_biggest_step` on a history table (`history.history`): the pure part."""
    biggest = steps.loc[steps["size"].idxmax()]
    words = squash(answer)
    named = steps[[words in squash(instruction) or words in squash(full)
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


def check_biggest_unneeded_file(answer: str, *, files, needed: tuple[str, ...], skip_layers: tuple[int, ...] = ()) -> Feedback:
    """Is `answer` the biggest regular file of the final filesystem, `needed` paths aside and
    counting only the files whose surviving copy comes from a layer not in `skip_layers`?"""
    if unanswered(answer):
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

