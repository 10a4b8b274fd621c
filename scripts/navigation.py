"""Write the navigation of every lesson: the links in its first cell, the 'Next' link in its last,
and the lesson map in README.md. `--check` only reports what is out of date (exit 1).

    python scripts/navigation.py           # rewrite
    python scripts/navigation.py --check   # what the tests run
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
NAV = re.compile(r"<!-- nav -->.*?<!-- /nav -->", re.S)
NEXT = re.compile(r"<!-- next -->.*?<!-- /next -->", re.S)
MAP = re.compile(r"<!-- lessons -->.*?<!-- /lessons -->", re.S)


def lessons() -> list[tuple[Path, str]]:
    """(path, title) of each lesson, in order; the title is the first cell's H1."""
    found = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        first = "".join(json.loads(path.read_text())["cells"][0]["source"])
        title = re.search(r"^# (.+)$", first, re.M)
        found.append((path, title.group(1).strip() if title else path.stem))
    return found


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _set(cell: dict, pattern: re.Pattern, block: str) -> bool:
    text = _source(cell)
    new = pattern.sub(block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    if new == text:
        return False
    cell["source"] = new.splitlines(keepends=True)
    return True


def render(check: bool) -> list[str]:
    stale = []
    items = lessons()
    for i, (path, title) in enumerate(items):
        nb = json.loads(path.read_text())
        prev = f"[← {items[i - 1][1]}]({items[i - 1][0].name})" if i else "← start"
        nxt = f"[{items[i + 1][1]} →]({items[i + 1][0].name})" if i + 1 < len(items) else "end →"
        nav = f"<!-- nav -->\n{prev} · [lesson map](../README.md#lessons) · {nxt}\n<!-- /nav -->"
        following = (f"**Next:** [{items[i + 1][1]}]({items[i + 1][0].name})" if i + 1 < len(items)
                     else "**This is the last lesson.** Back to the [lesson map](../README.md#lessons).")
        changed = _set(nb["cells"][0], NAV, nav)
        changed |= _set(nb["cells"][-1], NEXT, f"<!-- next -->\n{following}\n<!-- /next -->")
        if changed:
            stale.append(path.name)
            if not check:
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    rows = "\n".join(f"| {p.name[:2]} | [{t}](notebooks/{p.name}) |" for p, t in items)
    table = f"<!-- lessons -->\n| # | lesson |\n|---|---|\n{rows}\n<!-- /lessons -->"
    text = README.read_text() if README.exists() else ""
    if MAP.search(text) and MAP.sub(table, text) != text:
        stale.append("README.md")
        if not check:
            README.write_text(MAP.sub(table, text))
    return stale


if __name__ == "__main__":
    from rewriter import main
    sys.exit(main(render))
