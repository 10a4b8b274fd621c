"""Run notebooks headless, one after another in one process, each in a fresh kernel.

``scripts/tutorial.sh``, the benchmark and the drills run the lessons this way. Starting
``jupyter nbconvert`` once per notebook imported nbconvert each time (3.7 s on the CI machine);
here it is imported once, and each notebook still gets a kernel of its own, as in JupyterLab.

    .venv/bin/python scripts/headless.py [--html] OUT NOTEBOOK...

writes OUT/executed/NAME.ipynb (and OUT/html/NAME.html), prints one line per notebook, writes
OUT/NAME.log with the error of a notebook that failed, and exits 1 if any did. OUT/run.json sums
up the run so far (when it started, and each notebook's record from `run`, paths relative to
OUT): ``scripts/report_index.py`` reads it, so the report shows this run's notebooks only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert.filters.ansi import strip_ansi

CELL_TIMEOUT_S = 1800

__all__ = ["CELL_TIMEOUT_S", "run", "main"]


def run(path: Path, out: Path, *, env: dict | None = None, html: bool = False) -> dict:
    """Execute notebook `path` in a fresh kernel, in the notebook's own folder.

    Writes the executed copy (as far as it got) to ``out/executed/``, and the HTML page to
    ``out/html/`` when `html` is set. Returns {notebook, seconds, ok, executed}, with ``log``
    (``out/NAME.log``, the cell and the traceback) when a cell failed or its kernel died.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(path.parent)}})
    record: dict = {"notebook": path.stem}
    start = time.perf_counter()
    message = None
    try:
        client.execute(**({"env": env} if env is not None else {}))
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        message = strip_ansi(str(exc))
    except Exception as exc:  # the kernel did not start, or the client broke: this notebook failed, the next runs
        message = f"{type(exc).__name__}: {exc}"
    if message is not None:
        log = out / f"{path.stem}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(message)
        record["log"] = str(log)
    record.update(seconds=time.perf_counter() - start, ok="log" not in record)
    executed = out / "executed" / path.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
    record["executed"] = str(executed)
    if html:
        from nbconvert import HTMLExporter

        page = out / "html" / f"{path.stem}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(HTMLExporter().from_notebook_node(nb)[0])
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/headless.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", action="store_true", help="also write OUT/html/NAME.html")
    parser.add_argument("out", type=Path, help="folder for the executed copies, pages and logs")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failed = 0
    summary = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "docker_host": os.environ.get("DOCKER_HOST", ""),
               "notebooks": []}
    for path in args.notebooks:
        print(f"tutorial: running {path.stem} ... ", end="", file=sys.stderr, flush=True)
        record = run(path, args.out, html=args.html)
        summary["notebooks"].append(_relative(record, args.out, html=args.html))
        summary["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        (args.out / "run.json").write_text(json.dumps(summary, indent=2) + "\n")
        if record["ok"]:
            print(f"ok ({record['seconds']:.0f}s)", file=sys.stderr, flush=True)
        else:
            failed += 1
            print(f"FAILED (see {record['log']})", file=sys.stderr, flush=True)
    return 1 if failed else 0


def _relative(record: dict, out: Path, *, html: bool) -> dict:
    """`record` for OUT/run.json: seconds rounded, paths relative to OUT, the HTML page if written."""
    entry = {**record, "seconds": round(record["seconds"], 1)}
    for key in ("executed", "log"):
        if key in entry:
            entry[key] = os.path.relpath(entry[key], out)
    if html:
        entry["html"] = f"html/{record['notebook']}.html"
    return entry


if __name__ == "__main__":
    sys.exit(main())
