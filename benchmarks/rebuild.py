"""A one-line change rebuilt, against a cold build, as lesson 06 measures it, with dockerlab's own code.

The multi-stage image is built with no cache (the cold time); then main.go's version line is
changed in a temporary copy of calculator/ (`dockerlab.experiments`), and the image is rebuilt
with the cache (the rebuild time). Everything is named under its own prefix (``dockerlab-bench/``)
and removed at the end: the images the builds made, and anything left under that prefix
(`dockerlab.cleanup.clean`, untagging without pruning the parents a later build may reuse).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

PREFIX = "dockerlab-bench/"
VARIANT = "multi-stage"


@contextmanager
def prefix(value: str) -> Iterator[None]:
    """DOCKERLAB_PREFIX=`value` inside the block only."""
    old = os.environ.get("DOCKERLAB_PREFIX")
    os.environ["DOCKERLAB_PREFIX"] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("DOCKERLAB_PREFIX", None)
        else:
            os.environ["DOCKERLAB_PREFIX"] = old


def run(*, bench_prefix: str = PREFIX, variant: str = VARIANT) -> dict:
    """The rebuild part's record: cold and rebuild seconds, their ratio, the steps the cache served."""
    from dockerlab import build, connect, experiments, naming, run as run_container
    from dockerlab.cleanup import clean
    from dockerlab.progress import reporter

    quiet = reporter(quiet=True)
    with prefix(bench_prefix):
        client, engine = connect()
        clean(client=client, prune=False)  # what an interrupted run left
        made, record = [], {}
        try:
            print(f"rebuild: {variant}, cold (no cache) ...", file=sys.stderr, flush=True)
            cold = build(variant, tag=naming.image_name(f"{variant}-cold"), nocache=True,
                         client=client, engine=engine, reporter=quiet)
            made.append(cold)
            print(f"rebuild: cold in {cold.seconds:.1f} s; one-line change, with the cache ...", file=sys.stderr, flush=True)
            edit = experiments.one_line_edit()
            with experiments.edited_context(edit) as context:
                warm = build(variant, context=context, client=client, engine=engine, reporter=quiet)
            made.append(warm)
            print(f"rebuild: one-line change in {warm.seconds:.1f} s", file=sys.stderr, flush=True)
            version = run_container(warm.tag, "--version", client=client).stdout.strip()
            steps = experiments.steps(warm)
            record = {
                "variant": variant, "prefix": bench_prefix,
                "cold_s": cold.seconds, "rebuild_s": warm.seconds, "ratio": warm.seconds / cold.seconds,
                "cold_cached_steps": cold.cached_steps,
                "cached_steps": warm.cached_steps, "cacheable_steps": warm.cacheable_steps,
                "ran": [row.instruction for row in steps.itertuples() if row.cache == experiments.RAN],
                "reused": [row.instruction for row in steps.itertuples() if row.cache == experiments.REUSED],
                "edit": {"file": edit.file, "old": edit.old, "new": edit.new},
                "version_output": version, "version_ok": edit.new.split('"')[1] in version,
            }
        finally:
            experiments.discard(*made, client=client)
            clean(client=client, prune=False)
        record["left_after_cleanup"] = len(client.images.list(filters=naming.label_filter()))
    return record
