"""Exercise checkers: each compares a learner's answer with what the engine really does, and
says kindly what is right and what to look at again. They return a `Feedback`, which a notebook
shows as a short list; they never raise for a wrong answer."""

from __future__ import annotations

from dataclasses import dataclass

from .containers import run
from .engine import connect

__all__ = ["Feedback", "check_predictions", "check_biggest_step", "check_ratio"]


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


def check_predictions(predictions: dict[str, str], *, image: str, command: str | None = None) -> Feedback:
    """Compare predicted calculator outputs (expression -> text) with what `image` prints."""
    if not predictions:
        return Feedback(False, ("Fill in the dictionary first: one expression and what you expect it to print.",))
    lines, ok = [], True
    for expression, predicted in predictions.items():
        result = run(image, expression, entrypoint=[command] if command else None)
        actual = (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr).strip() else ""
        if str(predicted).strip() == actual:
            lines.append(f"✓ `{expression}` prints `{actual}`")
        else:
            ok = False
            lines.append(f"✗ `{expression}`: you said `{predicted}`, the calculator prints `{actual}`. "
                         "Check the precedence and associativity rules in parse.go.")
    return Feedback(ok, tuple(lines))


def check_biggest_step(answer: str, *, image: str) -> Feedback:
    """Is `answer` (part of an instruction) the build step that made the biggest layer of `image`?"""
    from .layers import history

    steps = history(connect()[0].images.get(image))
    biggest = steps.loc[steps["size"].idxmax()]
    words = " ".join(str(answer).split()).lower()
    said = " ".join(f"{biggest['instruction']} {biggest['full']}".split()).lower()
    if len(words) >= 6 and words in said:
        return Feedback(True, (f"✓ the biggest layer comes from `{biggest['instruction']}`",))
    hint = ("Sort the history table by its size column, largest first, and read the instruction at the top."
            if words else "Put part of the instruction's text in `answer`, for example its first few words.")
    return Feedback(False, (f"✗ `{answer}` is not the step with the biggest layer. {hint}",))


def check_ratio(ratio: float, *, large: int, small: int) -> Feedback:
    """Is `ratio` the number of times `small` (bytes) fits in `large`, to within 1%?"""
    actual = large / small
    try:
        value = float(ratio)
    except (TypeError, ValueError):
        return Feedback(False, (f"✗ `{ratio!r}` is not a number. Divide one size by the other.",))
    if abs(value - actual) <= 0.01 * actual:
        return Feedback(True, (f"✓ the small image is {actual:,.0f} times smaller",))
    hint = "Divide the larger size by the smaller one." if value >= 1 else "You divided the smaller size by the larger one: turn it around."
    return Feedback(False, (f"✗ {value:,.2f} is not it. {hint}",))
