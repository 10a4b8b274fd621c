"""Exercise checkers: each compares a learner's answer with what the engine really does, and
says kindly what is right and what to look at again. They return a `Feedback`, which a notebook
shows as a short list; they never raise for a wrong answer."""

from __future__ import annotations

from dataclasses import dataclass

from .containers import run

__all__ = ["Feedback", "check_predictions"]


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
