"""The benchmark's pure logic: which parts run, the tables it prints, and every target's verdict.

Nothing here talks to an engine or runs a process: it reads the result records that the other
modules of benchmarks/ write (plain dicts, as saved in the JSON) and returns text.
"""

from __future__ import annotations

import operator
import re
import statistics
from dataclasses import dataclass
from datetime import datetime

PARTS = ("warm", "analysis", "rebuild", "buildkit", "cold")
"""The parts of the benchmark, in the order they run (warm first: it builds what analysis reads)."""

WARM_TOTAL_TARGET_S = 120.0
RATIO_TARGET = 1.05
PEAK_TARGET_MB = 300.0
TIMES_SMALLER_TARGET = 100.0
BINARY_RATIO_TARGET = 1.01
SMALLEST_TARGET_MB = 1.3
REBUILD_RATIO_TARGET = 0.10
CACHED_RATIO_TARGET = 0.05
BUILDKIT_RATIO_TARGET = 1.0  # BuildKit skips a stage or overlaps two: it must be faster cold
MOUNT_COMPILE_RATIO_TARGET = 0.33  # lesson 09 asserts the compile is under a third with the mount

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Failed|Unavailable)\b")


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median of run-by-run ratios of interleaved runs (a[0]/b[0], a[1]/b[1], ...).

    Interleaved pairs ran under the same conditions, so each ratio cancels the slow drift of a
    shared machine that a ratio of two medians keeps.
    """
    if not numerators or len(numerators) != len(denominators):
        raise ValueError("paired_ratio needs two lists of runs of the same, non-zero length")
    return statistics.median(a / b for a, b in zip(numerators, denominators))


def cell_seconds(notebook: dict) -> list[dict]:
    """Each timed code cell of an executed notebook (as JSON): {cell, seconds, first_line}, slowest first.

    The time is what the kernel reports: from the cell's ``iopub.execute_input`` to its
    ``shell.execute_reply`` (nbclient records both in ``metadata.execution``).
    """
    found = []
    for index, cell in enumerate(notebook.get("cells", [])):
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if cell.get("cell_type") != "code" or not (start and end):
            continue
        source = "".join(cell.get("source", ""))
        seconds = (_instant(end) - _instant(start)).total_seconds()
        found.append({"cell": index, "seconds": seconds, "first_line": source.strip().splitlines()[0] if source.strip() else ""})
    return sorted(found, key=lambda c: c["seconds"], reverse=True)


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def choose_parts(only: str | None = None, skip: str | None = None) -> list[str]:
    """The parts to run, in `PARTS` order, from ``--only a,b`` and ``--skip c``; ValueError on a bad name."""

    def names(text: str) -> list[str]:
        got = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in got if name not in PARTS]
        if unknown:
            raise ValueError(f"unknown part {', '.join(unknown)}: the parts are {', '.join(PARTS)}")
        return got

    chosen = names(only) if only is not None else list(PARTS)
    dropped = names(skip) if skip else []
    parts = [part for part in PARTS if part in chosen and part not in dropped]
    if not parts:
        raise ValueError("no part left to run")
    return parts


def table(headers: list[str], rows: list[list], align: str | None = None) -> str:
    """A plain-text table: a header, a rule, one line per row; `align` is one 'l' or 'r' per column."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    align = align or "l" * len(headers)
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(row, widths, align)).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths), *map(line, cells[1:])])


def error_summary(log: str) -> str:
    """The line that says why a run failed: the last exception line of its log, else its last line."""
    from nbconvert.filters.ansi import strip_ansi  # slow to import, and needed only for a failure

    lines = [strip_ansi(line).strip() for line in log.splitlines()]
    lines = [line for line in lines if line]
    for line in reversed(lines):
        if _EXCEPTION.match(line):
            return line[:300]
    return lines[-1][:300] if lines else "(no output)"


@dataclass(frozen=True)
class Target:
    """One measure, and the target it must meet (`op` None: reported only, no target)."""

    name: str
    measured: float | str | None  # None: not measured (its part failed)
    op: str | None = None
    limit: float | None = None
    unit: str = ""
    digits: int = 2

    @property
    def passed(self) -> bool | None:
        """True or False against the target; None when there is no target or no number."""
        if self.op is None or not isinstance(self.measured, (int, float)):
            return None
        return _OPS[self.op](self.measured, self.limit)

    def row(self) -> list[str]:
        """[what, measured, target, verdict] for the summary table."""
        if isinstance(self.measured, (int, float)):
            measured = f"{self.measured:.{self.digits}f}{self.unit}"
        else:
            measured = "not measured" if self.measured is None else str(self.measured)
        target = "—" if self.op is None else f"{self.op} {self.limit:g}{self.unit}"
        verdict = {True: "pass", False: "FAIL", None: "—"}[self.passed]
        if self.op is not None and self.measured is None:
            verdict = "FAIL"
        return [self.name, measured, target, verdict]


def targets(report: dict) -> list[Target]:
    """Every target of the parts in `report` (the JSON record), in part order."""
    out: list[Target] = []
    if "warm" in report:
        out += _notebook_targets("warm", report["warm"], total_target=WARM_TOTAL_TARGET_S)
    if "analysis" in report:
        out += _analysis_targets(report["analysis"])
    if "rebuild" in report:
        rec = report["rebuild"]
        out.append(Target("rebuild: one-line change / cold build", rec.get("ratio"), "<=", REBUILD_RATIO_TARGET, digits=3))
        cached = f"{rec['cached_steps']} of {rec['cacheable_steps']}" if "cached_steps" in rec else None
        out.append(Target("rebuild: steps from the cache", cached))
    if "buildkit" in report:
        out += _buildkit_targets(report["buildkit"])
    if "cold" in report:
        out += _notebook_targets("cold", report["cold"], total_target=None)
    return out


def _buildkit_targets(rec: dict) -> list[Target]:
    test, distroless, mounts = (rec.get(key) or {} for key in ("test-stage", "distroless", "mounts"))
    return [
        Target("buildkit: test-stage cold, BuildKit / legacy", test.get("ratio"), "<", BUILDKIT_RATIO_TARGET, digits=3),
        Target("buildkit: distroless cold, BuildKit / legacy", distroless.get("ratio"), "<", BUILDKIT_RATIO_TARGET,
               digits=3),
        Target("buildkit: distroless, seconds its two stages overlapped", distroless.get("overlap_median_s"), ">", 0,
               unit=" s", digits=1),
        Target("buildkit: one-line change, with cache mounts / without", mounts.get("ratio"), digits=3),
        Target("buildkit: the compile alone, with cache mounts / without", mounts.get("compile_ratio"), "<=",
               MOUNT_COMPILE_RATIO_TARGET, digits=3),
    ]


def _notebook_targets(part: str, rec: dict, *, total_target: float | None) -> list[Target]:
    rows = []
    if part == "cold":
        prepare = (rec.get("prepare") or {}).get("seconds")
        rows.append(Target("cold: prepare (base + every image)", prepare, unit=" s", digits=1))
    rows.append(Target(f"{part}: every notebook, total", rec.get("total_s"),
                       "<=" if total_target else None, total_target, unit=" s", digits=1))
    if part == "cold":
        rows.append(Target("cold: prepare + every notebook", rec.get("grand_total_s"), unit=" s", digits=1))
    rows.append(Target(f"{part}: notebooks that failed", rec.get("failed"), "==", 0, digits=0))
    return rows


def _analysis_targets(rec: dict) -> list[Target]:
    smallest = rec.get("smallest_image") or {}
    size_mb = smallest["size_bytes"] / 1e6 if "size_bytes" in smallest else None
    return [
        Target("multi-stage image, times smaller than single-stage", rec.get("times_smaller"), ">=",
               TIMES_SMALLER_TARGET, unit=" x", digits=0),
        Target("smallest image / its binary", smallest.get("ratio"), "<=", BINARY_RATIO_TARGET, digits=3),
        Target("smallest image", size_mb, "<=", SMALLEST_TARGET_MB, unit=" MB"),
        Target("analysis / save (median of paired runs)", rec.get("ratio_analysis_over_save"), "<=", RATIO_TARGET,
               digits=3),
        Target("analysis peak memory", rec.get("analysis_peak_mb"), "<", PEAK_TARGET_MB, unit=" MB", digits=0),
        Target("second files() of an image / the first", rec.get("ratio_cached_over_analysis"), "<=",
               CACHED_RATIO_TARGET, digits=3),
    ]


def summary_table(found: list[Target]) -> str:
    """Every target: measured / target / pass."""
    return table(["target", "measured", "target", "pass"], [t.row() for t in found], "lrrl")


def notebook_table(rec: dict) -> str:
    """One row per notebook (after `prepare`), then the totals: the warm and cold parts."""
    rows = []
    prepare = rec.get("prepare")
    if prepare:
        note = "not in the notebooks' total" if rec.get("part") == "warm" else ""
        rows.append(["prepare", f"{prepare['seconds']:.1f}", _status(prepare), note or _note(prepare)])
    for nb in rec.get("notebooks", []):
        rows.append([nb["notebook"], f"{nb['seconds']:.1f}", _status(nb), _note(nb)])
    if rec.get("total_s") is not None:
        rows.append(["total, notebooks", f"{rec['total_s']:.1f}", "", ""])
    if rec.get("grand_total_s") is not None:
        rows.append(["total, prepare + notebooks", f"{rec['grand_total_s']:.1f}", "", ""])
    return table(["step", "seconds", "status", "note"], rows, "lrll")


def slowest_cells_table(rec: dict, count: int = 6) -> str:
    """The `count` slowest cells of every notebook together, with each one's share of the total."""
    cells = sorted(({"notebook": nb["notebook"], **cell} for nb in rec.get("notebooks", []) for cell in nb.get("cells", [])),
                   key=lambda c: c["seconds"], reverse=True)[:count]
    total = rec.get("total_s") or 0.0
    rows = [[c["notebook"], c["cell"], f"{c['seconds']:.1f}", f"{c['seconds'] / total:.0%}" if total else "",
             c["first_line"][:60]] for c in cells]
    return table(["notebook", "cell", "seconds", "of total", "first line"], rows, "lrrrl")


def _status(run: dict) -> str:
    return "ok" if run.get("ok") else "FAILED"


def _note(run: dict) -> str:
    return "" if run.get("ok") else run.get("error", "")


def rebuild_table(rec: dict) -> str:
    """The cold build, the one-line rebuild, their ratio, and what the cache served."""
    rows = [
        ["cold build (no cache)", f"{rec['cold_s']:.1f} s"],
        ["one-line change rebuilt", f"{rec['rebuild_s']:.1f} s"],
        ["rebuild / cold", f"{rec['ratio']:.3f} (target <= {REBUILD_RATIO_TARGET:g})"],
        ["steps from the cache", f"{rec['cached_steps']} of {rec['cacheable_steps']} cacheable"],
        ["steps that ran", "; ".join(rec.get("ran", []))],
        ["edit", f"{rec['edit']['file']}: {rec['edit']['new']}"],
        ["--version of the rebuilt image", f"{rec.get('version_output', '')} ({'ok' if rec.get('version_ok') else 'NOT the edit'})"],
    ]
    return table(["measure", "value"], rows)


def buildkit_table(rec: dict) -> str:
    """Each cold build by each builder, the overlap of the distroless stages, and the cache mounts."""
    rows = []
    for variant in ("test-stage", "distroless"):
        got = rec[variant]
        rows.append([f"{variant}, cold: legacy / BuildKit", f"{got['legacy_median_s']:.1f} s / {got['buildkit_median_s']:.1f} s",
                     f"{got['ratio']:.3f}"])
        rows.append([f"{variant}: stages built, legacy / BuildKit",
                     f"{', '.join(got['stages']['legacy'])} / {', '.join(got['stages']['buildkit'])}", ""])
    overlap = rec["distroless"].get("overlap_median_s")
    if overlap is not None:
        rows.append(["distroless: seconds its two stages overlapped (BuildKit)", f"{overlap:.1f} s", ""])
    mounts = rec["mounts"]
    rows.append(["one-line change: without / with cache mounts", f"{mounts['without_s']:.1f} s / {mounts['with_s']:.1f} s",
                 f"{mounts['ratio']:.3f}"])
    rows.append(["one-line change: the compile alone", f"{mounts['compile_without_s']:.1f} s / {mounts['compile_with_s']:.1f} s",
                 f"{mounts['compile_ratio']:.3f}"])
    routes = sorted({*rec["test-stage"]["routes"].values(), *rec["distroless"]["routes"].values(), mounts["route"]})
    rows.append(["served by", "; ".join(routes), ""])
    return table(["measure", "value", "ratio"], rows, "llr")


def analysis_tables(rec: dict) -> str:
    """The medians of save, cli-save, analysis and dive, the image sizes, and the smallest image."""
    runs = [[mode, f"{row['median_s']:.2f}", ", ".join(f"{s:.2f}" for s in row["runs_s"]), f"{row['peak_rss_mb']:.0f}"]
            for mode, row in rec["summary"].items()]
    parts = [table(["measure", "median s", "runs s", "peak MB"], runs, "lrlr")]
    sizes = [[r["image"], f"{r['size_bytes'] / 1e6:.2f}", r["role"]] for r in rec.get("images", [])]
    parts.append(table(["image", "MB", "role"], sizes, "lrl"))
    smallest = rec.get("smallest_image")
    if smallest:
        parts.append(f"smallest: {smallest['image']} = {smallest['size_bytes'] / 1e6:.2f} MB, binary {smallest['binary']} "
                     f"{smallest['binary_bytes'] / 1e6:.2f} MB, image/binary = {smallest['ratio']:.3f}")
    else:
        parts.append("smallest: no tutorial image starts a binary")
    if "dive" in rec["summary"]:
        parts.append(f"dive / analysis = {rec['summary']['dive']['median_s'] / rec['summary']['analysis']['median_s']:.3f}")
    return "\n\n".join(parts)
