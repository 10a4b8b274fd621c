"""Benchmark the tutorial: one command, one table per part, a summary of every target, one JSON.

    .venv/bin/python benchmarks/run.py [--only PARTS | --skip PARTS] [--json OUT]
                                       [--image NAME] [--repeat N] [--builds N] [--out DIR]

Parts (default: all, in this order; see benchmarks/README.md):
  warm      prepare, then every notebook headless on the machine's engine, timed (total <= 120 s)
  analysis  layer analysis against the engine's save stream and dive; image sizes; peak memory
  rebuild   multi-stage built cold, then rebuilt after a one-line change (ratio <= 0.10)
  buildkit  BuildKit beside the legacy builder: two cold builds each, cache mounts (lesson 09)
  cold      a second, empty engine: prepare (debootstrap base, every image), then every notebook
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402  (after the path is set)
from benchmarks.machine import load, machine  # noqa: E402


def _warm(args, facts) -> dict:
    from benchmarks.tutorial_timing import tutorial

    return tutorial(Path(args.out) / "warm", dict(os.environ), label="warm")


def _analysis(args, facts) -> dict:
    from benchmarks import analysis

    return analysis.run(args.image, args.repeat, facts)


def _rebuild(args, facts) -> dict:
    from benchmarks import rebuild

    return rebuild.run()


def _buildkit(args, facts) -> dict:
    from benchmarks import buildkit

    return buildkit.run(args.builds)


def _cold(args, facts) -> dict:
    from benchmarks.scratch_engine import scratch_engine
    from benchmarks.tutorial_timing import tutorial

    out = Path(args.out) / "cold"
    print("cold: starting a second dockerd with fresh data ...", file=sys.stderr, flush=True)
    with scratch_engine(log=out / "dockerd.log") as engine:
        import docker

        client = docker.DockerClient(base_url=engine.host, timeout=60)
        fresh = {"host": engine.host, "folder": str(engine.folder), "images_at_start": len(client.images.list(all=True)),
                 "engine_version": client.version().get("Version")}
        print(f"cold: engine {fresh['engine_version']} at {engine.host}, {fresh['images_at_start']} images",
              file=sys.stderr, flush=True)
        record = tutorial(out, {**os.environ, "DOCKER_HOST": engine.host}, label="cold")
        fresh["images_at_end"] = len(client.images.list())
        client.close()
    return {**record, "engine": fresh}


PARTS = {"warm": _warm, "analysis": _analysis, "rebuild": _rebuild, "buildkit": _buildkit, "cold": _cold}
TITLES = {"warm": "All notebooks headless, warm (the machine's engine)",
          "analysis": "Layer analysis against the save stream and dive; image sizes",
          "rebuild": "One-line change rebuilt, against a cold build",
          "buildkit": "BuildKit beside the legacy builder (lesson 09's builds)",
          "cold": "All notebooks headless, cold (a second engine with fresh data)"}


def _table(part: str, record: dict) -> str:
    if "error" in record:
        return f"{part}: could not be measured: {record['error']}"
    if part == "analysis":
        return report.analysis_tables(record)
    if part == "rebuild":
        return report.rebuild_table(record)
    if part == "buildkit":
        return report.buildkit_table(record)
    tables = [report.notebook_table(record)]
    if any(nb.get("cells") for nb in record.get("notebooks", [])):
        tables.append("Where the time went, the slowest cells:\n" + report.slowest_cells_table(record))
    return "\n\n".join(tables)


def _write(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--only", metavar="PARTS", help=f"comma-separated parts to run, of {','.join(report.PARTS)}")
    chosen.add_argument("--skip", metavar="PARTS", help="comma-separated parts not to run")
    parser.add_argument("--json", default=str(ROOT / "output" / "benchmarks.json"), metavar="OUT",
                        help="where to write the results (default: output/benchmarks.json)")
    parser.add_argument("--out", default=str(ROOT / "output" / "bench"), metavar="DIR",
                        help="executed notebooks and logs of the warm and cold parts (default: output/bench)")
    parser.add_argument("--image", default=None, help="analysis: image to measure (default: the single-stage image)")
    parser.add_argument("--repeat", type=int, default=5, help="analysis: runs of each measure (default 5)")
    parser.add_argument("--builds", type=int, default=2, help="buildkit: cold builds by each builder (default 2)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.builds < 1:
        parser.error("--repeat and --builds must be 1 or more")
    try:
        parts = report.choose_parts(args.only, args.skip)
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.reconfigure(line_buffering=True)  # keep the tables after the progress lines
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so a scratch engine is still removed

    client = None
    try:
        from dockerlab.engine import connect

        client, _ = connect()
    except Exception as exc:  # the cold part needs no engine of the machine's
        print(f"benchmark: the machine's engine does not answer ({exc})", file=sys.stderr)
    facts = machine(client)
    result: dict = {"machine": facts, "parts": parts, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    print(f"benchmark: {', '.join(parts)} on {facts['nproc']} CPUs ({facts['cpu_model']}), "
          f"engine {facts['engine_version']}, load {facts['load_average']}", file=sys.stderr)
    out = Path(args.json)
    failed = False
    for part in parts:
        before = load()
        try:
            record = PARTS[part](args, facts)
        except Exception as exc:  # a report, not a test: say why, go on with the next part
            traceback.print_exc()
            record = {"error": f"{type(exc).__name__}: {exc}"}
            failed = True
        result[part] = {**record, "load_before": before, "load_after": load()}
        _write(out, result)
        print(f"\n== {TITLES[part]} (load before/after {before} / {load()})")
        print(_table(part, result[part]))

    facts["load_average_after"] = load()
    found = report.targets(result)
    result["targets"] = [{"name": t.name, "measured": t.measured, "op": t.op, "limit": t.limit, "passed": t.passed}
                         for t in found]
    _write(out, result)
    print(f"\n== Summary: every target ({facts['nproc']} x {facts['cpu_model']}, engine {facts['engine_version']} "
          f"({facts['storage_driver']}), load before/after {facts['load_average']} / {facts['load_average_after']})")
    print(report.summary_table(found))
    print(f"\nwrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
