"""The checkers of answers that are numbers: how many times one size is another, and what share
of an image one file is. Each takes 1% either way as right, and names the usual slip (a
percentage, the sizes turned around, the wrong thing measured)."""

from __future__ import annotations

from pathlib import Path

from .containers import read_file
from .engine import connect
from .feedback import Feedback, unanswered
from .history import history
from .sizes import image_sizes
from .units import mb

__all__ = ["check_ratio", "check_source_ratio", "check_binary_share"]


def _close(value: float, actual: float) -> bool:
    """Within 1% of `actual`."""
    return abs(value - actual) <= 0.01 * abs(actual)


def check_binary_share(answer: float, *, image: str, path: str = "/usr/local/bin/calc") -> Feedback:
    """Is `answer` the fraction of `image`'s size that the file at `path` (the calculator) makes,
    to within 1%? It reads the file out of the image and the size of the layer that made it."""
    if unanswered(answer):
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
    if _close(value, actual):
        return Feedback(True, (f"✓ {path} is {mb(binary_size)}: {actual:.2%} of the image; the rest is what "
                               "the build needed, not what the calculator needs",))
    if _close(value, 100 * actual):
        hint = "That is a percentage: the question asks for a fraction, a number below 1. Divide by 100."
    elif value > 0 and _close(1 / value, actual):
        hint = "You divided the image's size by the binary's: turn it around."
    elif layer_size and _close(value, layer_size / image_size):
        hint = (f"That is the share of the whole `go build` layer ({mb(layer_size)}), which also holds Go's own "
                f"compile cache. Measure the file itself: `len(read_file(single.tag, \"{path}\"))`.")
    else:
        hint = f"Read the file's size in bytes (`len(read_file(single.tag, \"{path}\"))`) and divide it by `single.size`."
    return Feedback(False, (f"✗ {value:.4g} is not it. {hint}",))


def check_source_ratio(answer: float, *, binary: int, source) -> Feedback:
    """Is `answer` how many times bigger the binary (`binary` bytes) is than the Go source it is
    compiled from: the `.go` files of the folder `source`, tests left out? Within 1%."""
    if unanswered(answer):
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
    if _close(value, actual):
        return Feedback(True, (f"✓ the binary is {actual:,.0f} times its {code:,} bytes of source: the rest is the "
                               "Go runtime and the packages it imports, linked in",))
    if value > 0 and _close(1 / value, actual):
        hint = "You divided the source by the binary: turn it around."
    elif _close(value, binary / everything):
        hint = "You counted the `_test.go` files too: tests are not compiled into the binary. Leave them out."
    else:
        hint = "Add up the sizes in bytes of the `.go` files that do not end in `_test.go`, and divide the binary's size by it."
    return Feedback(False, (f"✗ {value:,.4g} is not it. {hint}",))


def check_ratio(ratio: float, *, large: int, small: int) -> Feedback:
    """Is `ratio` the number of times `small` (bytes) fits in `large`, to within 1%?"""
    actual = large / small
    if unanswered(ratio):
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

