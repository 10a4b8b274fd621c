"""Benchmark the layer analysis against the engine's own save stream, and against dive.

    .venv/bin/python benchmarks/run.py [--json OUT] [--image NAME] [--repeat N]

For one image (default: the tutorial's single-stage image) it times, each `--repeat` times,
interleaved, every run in a fresh process:
  save      the engine's save stream read to nothing through the Docker SDK
  cli-save  ``docker save IMAGE > /dev/null`` (when the docker CLI is installed)
  analysis  dockerlab.layers.files() on the same save stream, then efficiency()
  dive      ``dive IMAGE --json FILE`` (when dive is installed)
and reports medians, the ratio analysis/save (target <= 1.05), the analysis' peak memory
(VmHWM, target < 300 MB), the sizes of the tutorial's images, and the machine's facts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATIO_TARGET = 1.05
PEAK_TARGET_MB = 300.0

# Runs in a fresh interpreter: `python -c CHILD MODE IMAGE`; prints one JSON line.
CHILD = r"""
import json, sys, time
mode, name = sys.argv[1], sys.argv[2]
import docker
if mode == "analysis":
    from dockerlab.layers import efficiency, files
client = docker.from_env()
image = client.images.get(name)
start = time.perf_counter()
if mode == "save":
    total = 0
    for chunk in image.save(chunk_size=1 << 20):
        total += len(chunk)
    extra = {"bytes": total}
else:
    frame = files(image)
    eff = efficiency(frame)
    extra = {"rows": len(frame), "size_bytes": eff.size_bytes, "efficiency": eff.efficiency}
seconds = time.perf_counter() - start
status = open("/proc/self/status").read() if sys.platform.startswith("linux") else ""
hwm = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
print(json.dumps({"seconds": seconds, "vmhwm_kb": hwm[0] if hwm else None, **extra}))
"""


def timed_child(cmd: list[str], *, devnull: bool = False) -> tuple[float, int, str]:
    """(wall seconds, the child's own peak RSS in KB from wait4, its stdout); raise on failure."""
    start = time.perf_counter()
    sink = subprocess.DEVNULL if devnull else subprocess.PIPE
    proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)  # reap it ourselves, to get its rusage alone
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd[:2]))} ... exited {proc.returncode}: {err.decode()[-400:]}")
    return wall, usage.ru_maxrss, out.decode()


def _load() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (other work on the machine skews the timings)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def machine(client) -> dict:
    """Facts that make the numbers comparable: CPUs, memory, engine, versions, load."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    version, info = client.version(), client.info()
    dive = shutil.which("dive", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    dive_version = subprocess.run([dive, "--version"], capture_output=True, text=True).stdout.strip() if dive else None
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu,
        "memory": mem,
        "load_average": _load(),
        "engine_version": version.get("Version"),
        "engine_api": version.get("ApiVersion"),
        "storage_driver": info.get("Driver"),
        "python": platform.python_version(),
        "dive": dive_version,
        "dive_path": dive,
        "docker_cli": shutil.which("docker"),
    }


def tutorial_images(client) -> list[dict]:
    from dockerlab import naming

    rows = []
    for image in client.images.list(filters=naming.label_filter()):
        for tag in image.tags or [image.short_id]:
            rows.append({"image": tag, "size_bytes": int(image.attrs["Size"]),
                         "role": (image.labels or {}).get(f"{naming.LABEL}.role", "")})
    return sorted(rows, key=lambda r: r["size_bytes"])


def binary_ratio(client, images: list[dict]) -> dict | None:
    """The smallest lesson image, its biggest file (the binary) and image size / binary size."""
    from dockerlab.layers import files

    lessons = [r for r in images if r["role"] == "lesson"] or images
    if not lessons:
        return None
    smallest = lessons[0]
    try:
        frame = files(client.images.get(smallest["image"]))
        regular = frame[frame["type"] == "file"]
        biggest = regular.loc[regular["size"].idxmax()]
    except Exception as exc:  # a report, not a test: say why and go on
        return {"image": smallest["image"], "skipped": f"{type(exc).__name__}: {exc}"}
    return {"image": smallest["image"], "size_bytes": smallest["size_bytes"], "binary": "/" + biggest["path"],
            "binary_bytes": int(biggest["size"]), "ratio": smallest["size_bytes"] / int(biggest["size"])}


def measure(name: str, repeat: int, facts: dict) -> dict:
    runs: dict[str, list[dict]] = {"save": [], "cli-save": [], "analysis": [], "dive": []}
    with tempfile.TemporaryDirectory(prefix="dockerlab-bench-") as tmp:
        for k in range(repeat):
            for mode in ("save", "analysis"):
                wall, peak, out = timed_child([sys.executable, "-c", CHILD, mode, name])
                record = json.loads(out.strip().splitlines()[-1])
                runs[mode].append({**record, "wall": wall, "maxrss_kb": peak})
                print(f"  run {k + 1}/{repeat} {mode:<9} {record['seconds']:6.2f} s", file=sys.stderr)
            if facts["docker_cli"]:
                wall, peak, _ = timed_child([facts["docker_cli"], "save", name], devnull=True)
                runs["cli-save"].append({"seconds": wall, "maxrss_kb": peak})
                print(f"  run {k + 1}/{repeat} cli-save  {wall:6.2f} s", file=sys.stderr)
            if facts["dive_path"]:
                out = Path(tmp) / f"dive{k}.json"
                wall, peak, _ = timed_child([facts["dive_path"], name, "--json", str(out)], devnull=True)
                runs["dive"].append({"seconds": wall, "maxrss_kb": peak})
                print(f"  run {k + 1}/{repeat} dive      {wall:6.2f} s", file=sys.stderr)
    summary = {}
    for mode, rows in runs.items():
        if rows:
            summary[mode] = {
                "median_s": statistics.median(r["seconds"] for r in rows),
                "runs_s": [round(r["seconds"], 3) for r in rows],
                "peak_rss_mb": max((r.get("vmhwm_kb") or r["maxrss_kb"]) for r in rows) / 1024,
            }
    return {"runs": runs, "summary": summary}


def main(argv: list[str] | None = None) -> int:
    from dockerlab import naming
    from dockerlab.engine import connect
    from dockerlab.errors import DockerlabError

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", default=str(ROOT / "output" / "benchmarks.json"), metavar="OUT",
                        help="where to write the results (default: output/benchmarks.json)")
    parser.add_argument("--image", default=None, help="image to measure (default: the single-stage lesson image)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure (default 3)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    sys.stdout.reconfigure(line_buffering=True)  # keep the table after the progress lines
    try:
        client, _ = connect()
        name = args.image or naming.image_name("single-stage")
        client.images.get(name)
    except DockerlabError as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # docker.errors.ImageNotFound
        print(f"benchmark: no image {name!r} ({type(exc).__name__}). Build the tutorial's images with "
              "`python -m dockerlab prepare`, or pass --image NAME.", file=sys.stderr)
        return 1

    facts = machine(client)
    print(f"Measuring {name}, {args.repeat} runs each, on {facts['nproc']} CPUs ({facts['cpu_model']}), "
          f"engine {facts['engine_version']}, load {facts['load_average']}", file=sys.stderr)
    result = measure(name, args.repeat, facts)
    summary = result["summary"]
    ratio = summary["analysis"]["median_s"] / summary["save"]["median_s"]
    peak = summary["analysis"]["peak_rss_mb"]
    images = tutorial_images(client)
    smallest = binary_ratio(client, images)
    facts["load_average_after"] = _load()
    report = {
        "image": name, "repeat": args.repeat, "machine": facts, "summary": summary,
        "ratio_analysis_over_save": ratio, "ratio_target": RATIO_TARGET, "ratio_ok": ratio <= RATIO_TARGET,
        "analysis_peak_mb": peak, "peak_target_mb": PEAK_TARGET_MB, "peak_ok": peak < PEAK_TARGET_MB,
        "images": images, "smallest_image": smallest, "runs": result["runs"],
    }

    print(f"\n{name} on {facts['nproc']} x {facts['cpu_model']}, engine {facts['engine_version']} "
          f"({facts['storage_driver']}), load before/after {facts['load_average']} / {facts['load_average_after']}")
    print(f"{'measure':<10} {'median s':>9} {'runs s':<24} {'peak MB':>8}")
    for mode, row in summary.items():
        runs = ", ".join(f"{s:.2f}" for s in row["runs_s"])
        print(f"{mode:<10} {row['median_s']:>9.2f} {runs:<24} {row['peak_rss_mb']:>8.0f}")
    print(f"analysis / save = {ratio:.3f} (target <= {RATIO_TARGET}: {'ok' if ratio <= RATIO_TARGET else 'MISSED'})")
    print(f"analysis peak   = {peak:.0f} MB (target < {PEAK_TARGET_MB:.0f}: {'ok' if peak < PEAK_TARGET_MB else 'MISSED'})")
    if "dive" in summary:
        print(f"dive / analysis = {summary['dive']['median_s'] / summary['analysis']['median_s']:.3f}")
    print("\nimage sizes:")
    for row in images:
        print(f"  {row['image']:<45} {row['size_bytes'] / 1e6:>10.2f} MB  {row['role']}")
    if smallest and "ratio" in smallest:
        print(f"smallest: {smallest['image']} = {smallest['size_bytes'] / 1e6:.2f} MB, binary {smallest['binary']} "
              f"{smallest['binary_bytes'] / 1e6:.2f} MB, image/binary = {smallest['ratio']:.3f}")
    elif smallest:
        print(f"smallest: {smallest['image']}: binary ratio skipped ({smallest.get('skipped')})")

    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
