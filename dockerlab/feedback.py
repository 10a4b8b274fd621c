"""`Feedback`, what every exercise checker returns, and the two ways the checkers read an answer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Feedback", "unanswered", "squash"]


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


def unanswered(value: object) -> bool:
    """Is `value` still the exercise's placeholder (`...`), or nothing at all?"""
    return value is ... or value is None or (isinstance(value, str) and not value.strip())


def squash(text: object) -> str:
    """`text` in lower case with its runs of white space as single spaces, for matching."""
    return " ".join(str(text).split()).lower()
