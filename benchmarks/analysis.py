"""The layer analysis against the engine's own save stream and against dive; the images' sizes.

For one image (default: the tutorial's single-stage image) it times, `repeat` times, interleaved,
every run in a fresh process:
  save      the engine's save stream read to nothing through the Docker SDK
  cli-save  ``docker save IMAGE > /dev/null`` (when the docker CLI is installed)
  analysis  dockerlab.layers.files() on the same save stream, then efficiency()
  dive      ``dive IMAGE --json FILE`` (when dive is installed)
and returns medians, the ratio analysis/save, the analysis' peak memory (VmHWM), the sizes of
the tutorial's images, and the smallest image against the binary it starts.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import paired_ratio

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: `python -c CHILD MODE IMAGE`; prints one JSON line.
CHILD = r"""
import json, sys, time
mode, name = sys.argv[1], sys.argv[2]
import docker
if mode in ("analysis", "cached"):
    from dockerlab.filetree import efficiency
    from dockerlab.layers import files
client = docker.from_env()
image = client.images.get(name)
start = time.perf_counter()
if mode == "save":
    total = 0
    for chunk in image.save(chunk_size=1 << 20):
        total += len(chunk)
    extra = {"bytes": total}
elif mode == "cached":  # a second read of an image already read: the kept table (layers.cache_dir)
    files(image)
    start = time.perf_counter()
    frame = files(image)
    extra = {"rows": len(frame)}
else:
    frame = files(image, cache=False)
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


def tutorial_images(client) -> list[dict]:
    """The tutorial's tagged images (this prefix's label), smallest first; untagged leftovers of
    earlier builds are not the tutorial's images."""
    from dockerlab import naming
    from dockerlab.engine import connect
    from dockerlab.sizes import unpacked_size

    engine = connect()[1]
    rows = []
    for image in client.images.list(filters=naming.label_filter()):
        for tag in image.tags:
            rows.append({"image": tag, "size_bytes": unpacked_size(image, client=client, engine=engine),
                         "role": (image.labels or {}).get(f"{naming.LABEL}.role", "")})
    return sorted(rows, key=lambda r: r["size_bytes"])


def times_smaller(images: list[dict], big: str, small: str) -> float | None:
    """Size of image `big` / size of image `small`, by name; None when either is missing."""
    sizes = {row["image"]: row["size_bytes"] for row in images}
    return sizes[big] / sizes[small] if big in sizes and small in sizes and sizes[small] else None


def binary_ratio(client, images: list[dict]) -> dict | None:
    """The smallest lesson image that starts a binary, that binary, and image size / binary size
    (the binary's size as `python -m dockerlab images` reads it)."""
    from dockerlab.containers import entrypoint_file

    for row in [r for r in images if r["role"] == "lesson"] or images:  # smallest first
        found = entrypoint_file(row["image"], client=client)
        if found and found[1]:
            binary, size = found
            return {"image": row["image"], "size_bytes": row["size_bytes"], "binary": binary,
                    "binary_bytes": size, "ratio": row["size_bytes"] / size}
    return None


def measure(name: str, repeat: int, facts: dict) -> dict:
    """Every run of every measure, and their medians and peaks."""
    runs: dict[str, list[dict]] = {"save": [], "cli-save": [], "analysis": [], "cached": [], "dive": []}
    with tempfile.TemporaryDirectory(prefix="dockerlab-bench-") as tmp:
        for k in range(repeat):
            for mode in ("save", "analysis", "cached"):
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


def run(image: str | None, repeat: int, facts: dict) -> dict:
    """The analysis part: measure `image` (default the single-stage image); RuntimeError if it is missing."""
    from docker.errors import ImageNotFound

    from dockerlab import naming
    from dockerlab.engine import connect

    client, _ = connect()
    name = image or naming.image_name("single-stage")
    try:
        client.images.get(name)
    except ImageNotFound:
        raise RuntimeError(f"no image {name!r}. Build the tutorial's images with `python -m dockerlab prepare` "
                           "(the warm part does), or pass --image NAME.") from None
    print(f"analysis: measuring {name}, {repeat} runs each", file=sys.stderr)
    result = measure(name, repeat, facts)
    summary = result["summary"]
    ratio = paired_ratio([r["seconds"] for r in result["runs"]["analysis"]], [r["seconds"] for r in result["runs"]["save"]])
    peak = summary["analysis"]["peak_rss_mb"]
    images = tutorial_images(client)
    return {
        "image": name, "repeat": repeat, "summary": summary,
        "ratio_analysis_over_save": ratio, "ratio_of_medians": summary["analysis"]["median_s"] / summary["save"]["median_s"],
        "analysis_peak_mb": peak,
        "ratio_cached_over_analysis": summary["cached"]["median_s"] / summary["analysis"]["median_s"],
        "images": images, "smallest_image": binary_ratio(client, images),
        "times_smaller": times_smaller(images, naming.image_name("single-stage"), naming.image_name("multi-stage")),
        "runs": result["runs"],
    }
