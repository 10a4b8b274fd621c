"""BuildKit beside the legacy builder, as lesson 09 shows it, with dockerlab's own code.

Three measures, each from builds on the machine's engine, under their own prefix
(``dockerlab-bench/``), all removed at the end:
  test-stage  the test-stage variant built to its final stage with no cache, by each builder:
              BuildKit skips the test stage the image does not need
  distroless  the distroless variant with no cache, by each builder: BuildKit runs its two
              independent stages at once (the seconds they overlapped, from its trace)
  mounts      the one-line change of lesson 06 rebuilt by BuildKit without and with cache mounts
              for Go's caches (the `stripped` and `cache-mounts` variants, both built once first)
Cold builds run legacy first, then BuildKit, `repeat` times, interleaved; ratios are the median
of the pairs (`benchmarks.report.paired_ratio`).
"""

from __future__ import annotations

import statistics
import sys

from benchmarks.rebuild import PREFIX, prefix
from benchmarks.report import paired_ratio

STAGES = ("build", "runtime-parts")  # the distroless Dockerfile's two independent stages


def _say(text: str) -> None:
    print(f"buildkit: {text}", file=sys.stderr, flush=True)


def _cold_pairs(variant: str, repeat: int, *, client, engine, quiet, made: list) -> dict:
    """`repeat` cold builds of `variant` by each builder, interleaved; their seconds and stages."""
    from dockerlab import build, experiments, naming

    runs: dict[str, list] = {"legacy": [], "buildkit": []}
    for index in range(repeat):
        for builder in runs:
            result = build(variant, tag=naming.image_name(f"{variant}-{builder}-cold"), nocache=True,
                           builder=builder, client=client, engine=engine, reporter=quiet)
            made.append(result)
            runs[builder].append(result)
            _say(f"{variant}, {builder}, cold, run {index + 1}: {result.seconds:.1f} s ({result.route})")
    legacy, kit = ([r.seconds for r in runs[b]] for b in ("legacy", "buildkit"))
    record = {
        "legacy_s": legacy, "buildkit_s": kit,
        "legacy_median_s": statistics.median(legacy), "buildkit_median_s": statistics.median(kit),
        "ratio": paired_ratio(kit, legacy),
        "stages": {b: sorted({s.stage for s in runs[b][-1].timeline if s.stage}) for b in runs},
        "routes": {b: runs[b][-1].route for b in runs},
    }
    if variant == "distroless":
        record["overlap_s"] = [experiments.overlap(r.timeline, *STAGES) for r in runs["buildkit"]]
        record["legacy_overlap_s"] = [experiments.overlap(r.timeline, *STAGES) for r in runs["legacy"]]
        record["overlap_median_s"] = statistics.median(record["overlap_s"])
    return record


def _compile_seconds(result) -> float:
    (step,) = [s for s in result.timeline if "go build" in s.instruction]
    if step.cached:
        raise RuntimeError(f"{result.tag}: the compile came from the cache after a one-line change")
    return step.end - step.start


def _mounts(*, client, engine, quiet, made: list) -> dict:
    """The one-line change rebuilt by BuildKit without (`stripped`) and with (`cache-mounts`) cache mounts."""
    from dockerlab import build, experiments, naming

    for variant in ("stripped", "cache-mounts"):  # the cache both rebuilds start from
        made.append(build(variant, tag=naming.image_name(f"{variant}-bk"), builder="buildkit",
                          client=client, engine=engine, reporter=quiet))
    edit = experiments.one_line_edit()
    with experiments.edited_context(edit) as context:
        without = build("stripped", builder="buildkit", context=context, tag=naming.image_name("no-mount"),
                        client=client, engine=engine, reporter=quiet)
        made.append(without)
        mounted = build("cache-mounts", builder="buildkit", context=context, tag=naming.image_name("mount"),
                        client=client, engine=engine, reporter=quiet)
        made.append(mounted)
    record = {"without_s": without.seconds, "with_s": mounted.seconds, "ratio": mounted.seconds / without.seconds,
              "compile_without_s": _compile_seconds(without), "compile_with_s": _compile_seconds(mounted),
              "route": mounted.route}
    record["compile_ratio"] = record["compile_with_s"] / record["compile_without_s"]
    _say(f"one-line change: {without.seconds:.1f} s without cache mounts, {mounted.seconds:.1f} s with "
         f"(compile {record['compile_without_s']:.1f} s / {record['compile_with_s']:.1f} s)")
    return record


def run(repeat: int = 1, *, bench_prefix: str = PREFIX) -> dict:
    """The buildkit part's record: test-stage, distroless and mounts, as described above."""
    from dockerlab import connect, experiments, naming
    from dockerlab.cleanup import clean
    from dockerlab.progress import reporter

    quiet = reporter(quiet=True)
    with prefix(bench_prefix):
        client, engine = connect()
        clean(client=client, prune=False)  # what an interrupted run left
        made: list = []
        record: dict = {"image_store": engine.image_store, "repeat": repeat}
        try:
            for variant in ("test-stage", "distroless"):
                record[variant] = _cold_pairs(variant, repeat, client=client, engine=engine, quiet=quiet, made=made)
            record["mounts"] = _mounts(client=client, engine=engine, quiet=quiet, made=made)
        finally:
            experiments.discard(*[r for r in made if r.builder == "legacy"], client=client)
            clean(client=client, prune=False)
        record["left_after_cleanup"] = len(client.images.list(filters=naming.label_filter()))
    return record
