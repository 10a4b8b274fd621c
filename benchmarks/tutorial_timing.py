"""The whole tutorial, headless and timed: `python -m dockerlab prepare`, then every notebook.

Each notebook runs in order through `scripts/headless.py`, as scripts/tutorial.sh runs them; the
executed copies and the log of each failure go to an output folder, so the committed notebooks
are never written. A failing notebook is timed and reported, and the next one still runs. Each
record keeps its notebook's slowest cells, as the kernel timed them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.report import cell_seconds, error_summary

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def load_headless():
    """scripts/headless.py, the notebook runner that scripts/tutorial.sh uses (scripts/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("headless", ROOT / "scripts" / "headless.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def notebooks() -> list[Path]:
    """notebooks/NN-*.ipynb, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def timed(cmd: list[str], log: Path, env: dict) -> dict:
    """Run `cmd` with its output in `log`: {seconds, ok, error (when it failed), log}."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with log.open("w") as sink:
        code = subprocess.run(cmd, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              cwd=ROOT, env=env).returncode
    record = {"seconds": time.perf_counter() - start, "ok": code == 0, "log": str(log)}
    if code:
        record["error"] = f"exit {code}: " + error_summary(log.read_text(errors="replace"))
    return record


def prepare(out: Path, env: dict) -> dict:
    """`python -m dockerlab prepare`, timed; with the line that says which base served."""
    record = timed([sys.executable, "-m", "dockerlab", "prepare"], out / "prepare.log", env)
    record["base"] = served_base(Path(record["log"]).read_text(errors="replace"))
    return record


def served_base(prepare_output: str) -> str | None:
    """What prepare says of the base (``base  ubuntu:24.04: ... debootstrap.``), without ``base``."""
    return next((line[4:].strip() for line in prepare_output.splitlines() if line.startswith("base ")), None)


def run_notebooks(out: Path, env: dict, *, label: str) -> list[dict]:
    """Execute every notebook in order into `out`, as scripts/tutorial.sh does (one process, a
    fresh kernel each; kernel start included); one record each: notebook, seconds, ok, error, cells."""
    headless = load_headless()

    records = []
    for nb in notebooks():
        print(f"{label}: {nb.stem} ...", file=sys.stderr, flush=True)
        record = headless.run(nb, out, env=env)
        if not record["ok"]:
            record["error"] = error_summary(Path(record["log"]).read_text(errors="replace"))
        record["cells"] = cell_seconds(json.loads(Path(record["executed"]).read_text()))[:5]  # the five slowest
        print(f"{label}: {nb.stem} {'ok' if record['ok'] else 'FAILED'} in {record['seconds']:.1f} s"
              + ("" if record["ok"] else f" ({record['error']})"), file=sys.stderr, flush=True)
        records.append(record)
    return records


def tutorial(out: Path, env: dict, *, label: str) -> dict:
    """prepare, then every notebook: the record of the warm and cold parts."""
    out.mkdir(parents=True, exist_ok=True)
    print(f"{label}: python -m dockerlab prepare ...", file=sys.stderr, flush=True)
    prep = prepare(out, env)
    print(f"{label}: prepare {'ok' if prep['ok'] else 'FAILED'} in {prep['seconds']:.1f} s; base: {prep['base']}",
          file=sys.stderr, flush=True)
    runs = run_notebooks(out, env, label=label)
    total = sum(r["seconds"] for r in runs)
    return {"part": label, "output": str(out), "prepare": prep, "notebooks": runs, "total_s": total,
            "grand_total_s": prep["seconds"] + total, "failed": sum(not r["ok"] for r in runs)}
