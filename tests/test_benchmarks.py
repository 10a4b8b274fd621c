"""The benchmark's pure logic, on small records built here: no engine, nothing timed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from benchmarks.analysis import times_smaller  # noqa: E402
from benchmarks.rebuild import prefix  # noqa: E402
from benchmarks.scratch_engine import dockerd_command, mounts_under  # noqa: E402
from benchmarks.tutorial_timing import notebooks, served_base, timed  # noqa: E402


# --- which parts run -------------------------------------------------------------------------

def test_every_part_by_default_in_run_order():
    assert report.choose_parts() == ["warm", "analysis", "rebuild", "buildkit", "cold"]


def test_only_keeps_the_run_order_and_skip_drops():
    assert report.choose_parts(only="cold, rebuild") == ["rebuild", "cold"]
    assert report.choose_parts(skip="cold,buildkit") == ["warm", "analysis", "rebuild"]


@pytest.mark.parametrize("only, skip", [("analysis,colde", None), (None, "warm,bogus")])
def test_an_unknown_part_is_named(only, skip):
    with pytest.raises(ValueError, match="colde|bogus"):
        report.choose_parts(only=only, skip=skip)


def test_skipping_everything_is_an_error():
    with pytest.raises(ValueError, match="no part"):
        report.choose_parts(skip=",".join(report.PARTS))


# --- tables ----------------------------------------------------------------------------------

def test_table_aligns_columns_under_a_rule():
    text = report.table(["name", "s"], [["a", "1.5"], ["longer", "12.0"], ["none", None]], "lr")
    assert text.splitlines() == [
        "name       s",
        "------  ----",
        "a        1.5",
        "longer  12.0",
        "none",
    ]


def _notebook_record(**extra):
    return {"part": "warm", "prepare": {"seconds": 4.0, "ok": True},
            "notebooks": [{"notebook": "00-welcome", "seconds": 5.0, "ok": True},
                          {"notebook": "06-build-cache", "seconds": 200.0, "ok": False, "error": "exit 1: AssertionError: x"}],
            "total_s": 205.0, "grand_total_s": 209.0, "failed": 1, **extra}


def test_notebook_table_shows_each_notebook_its_failure_and_the_totals():
    lines = report.notebook_table(_notebook_record()).splitlines()
    assert lines[2].split()[:3] == ["prepare", "4.0", "ok"] and "not in the notebooks' total" in lines[2]
    assert lines[4].split()[:3] == ["06-build-cache", "200.0", "FAILED"] and "AssertionError: x" in lines[4]
    assert lines[5].split() == ["total,", "notebooks", "205.0"]
    assert lines[6].split() == ["total,", "prepare", "+", "notebooks", "209.0"]


def _rebuild_record(ratio=0.05):
    return {"cold_s": 100.0, "rebuild_s": 100.0 * ratio, "ratio": ratio, "cached_steps": 2, "cacheable_steps": 6,
            "ran": ["COPY . .", "RUN go build"], "edit": {"file": "main.go", "new": 'var version = "dev-x"'},
            "version_output": "calc dev-x", "version_ok": True}


def test_rebuild_table_names_the_times_the_ratio_and_the_cache():
    text = report.rebuild_table(_rebuild_record())
    assert "100.0 s" in text and "5.0 s" in text and "0.050 (target <= 0.1)" in text
    assert "2 of 6 cacheable" in text and "COPY . .; RUN go build" in text and "calc dev-x (ok)" in text


def _analysis_record():
    return {
        "summary": {"save": {"median_s": 10.0, "runs_s": [10.0, 11.0], "peak_rss_mb": 50.0},
                    "analysis": {"median_s": 10.2, "runs_s": [10.2, 9.9], "peak_rss_mb": 101.0},
                    "dive": {"median_s": 12.0, "runs_s": [12.0, 12.5], "peak_rss_mb": 400.0}},
        "ratio_analysis_over_save": 1.02, "analysis_peak_mb": 101.0, "times_smaller": 431.0,
        "images": [{"image": "dockerlab/stripped:latest", "size_bytes": 1_420_000, "role": "lesson"},
                   {"image": "dockerlab/single-stage:latest", "size_bytes": 918_840_000, "role": "lesson"}],
        "smallest_image": {"image": "dockerlab/stripped:latest", "size_bytes": 1_420_000, "binary": "/calc",
                           "binary_bytes": 1_418_000, "ratio": 1_420_000 / 1_418_000},
    }


def test_analysis_tables_hold_the_medians_the_sizes_and_the_smallest():
    text = report.analysis_tables(_analysis_record())
    assert "10.20" in text and "10.20, 9.90" in text and "918.84" in text
    assert "image/binary = 1.001" in text and "dive / analysis = 1.176" in text


# --- targets ---------------------------------------------------------------------------------

@pytest.mark.parametrize("op, limit, measured, passed", [
    ("<=", 1.05, 1.05, True), ("<=", 1.05, 1.06, False), ("<", 300, 300, False),
    (">=", 100, 431, True), ("==", 0, 1, False), (None, None, 3.0, None),
])
def test_a_target_passes_by_its_operator(op, limit, measured, passed):
    assert report.Target("x", measured, op, limit).passed is passed


def test_a_target_row_reads_measured_target_and_verdict():
    assert report.Target("total", 130.04, "<=", 120, unit=" s", digits=1).row() == ["total", "130.0 s", "<= 120 s", "FAIL"]
    assert report.Target("steps", "2 of 6").row() == ["steps", "2 of 6", "—", "—"]
    assert report.Target("ratio", None, "<=", 0.1).row() == ["ratio", "not measured", "<= 0.1", "FAIL"]


def test_targets_of_a_full_report():
    cold = {**_notebook_record(part="cold"), "failed": 0, "prepare": {"seconds": 300.0, "ok": True}}
    found = {t.name: t for t in report.targets({"warm": _notebook_record(), "analysis": _analysis_record(),
                                                "rebuild": _rebuild_record(0.2), "cold": cold})}
    assert found["warm: every notebook, total"].passed is False  # 205 s > 120 s
    assert found["warm: notebooks that failed"].passed is False
    assert found["multi-stage image, times smaller than single-stage"].passed is True
    assert found["smallest image"].passed is False  # 1.42 MB > 1.3 MB
    assert found["smallest image / its binary"].passed is True
    assert found["analysis / save (median of paired runs)"].passed is True
    assert found["analysis peak memory"].passed is True
    assert found["rebuild: one-line change / cold build"].passed is False  # 0.2 > 0.10
    assert found["rebuild: steps from the cache"].measured == "2 of 6"
    assert found["cold: notebooks that failed"].passed is True
    assert found["cold: prepare + every notebook"].measured == 209.0 and found["cold: prepare + every notebook"].op is None
    assert list(found)[0].startswith("warm") and list(found)[-1].startswith("cold")


def _buildkit_record(*, test_ratio=0.6, overlap=8.0, compile_ratio=0.05):
    def cold(ratio, **extra):
        return {"legacy_median_s": 30.0, "buildkit_median_s": 30.0 * ratio, "ratio": ratio,
                "stages": {"legacy": ["build", "test"], "buildkit": ["build"]},
                "routes": {"legacy": "engine API, legacy builder", "buildkit": "engine API, BuildKit"}, **extra}
    return {"test-stage": cold(test_ratio), "distroless": cold(0.7, overlap_median_s=overlap),
            "mounts": {"without_s": 20.0, "with_s": 8.0, "ratio": 0.4, "compile_without_s": 14.0,
                       "compile_with_s": 14.0 * compile_ratio, "compile_ratio": compile_ratio, "route": "engine API, BuildKit"}}


def test_buildkit_table_names_each_builder_the_overlap_and_the_mounts():
    text = report.buildkit_table(_buildkit_record())
    rows = {line.split("  ")[0]: line.split() for line in text.splitlines()[2:]}
    assert " ".join(rows["test-stage, cold: legacy / BuildKit"][-6:]) == "30.0 s / 18.0 s 0.600"
    assert " ".join(rows["test-stage: stages built, legacy / BuildKit"][-4:]) == "build, test / build"
    assert rows["distroless: seconds its two stages overlapped (BuildKit)"][-2:] == ["8.0", "s"]
    assert " ".join(rows["one-line change: the compile alone"][-6:]) == "14.0 s / 0.7 s 0.050"
    assert text.splitlines()[-1].endswith("engine API, BuildKit; engine API, legacy builder")


@pytest.mark.parametrize("record, failed", [
    (_buildkit_record(), set()),
    (_buildkit_record(test_ratio=1.2), {"buildkit: test-stage cold, BuildKit / legacy"}),
    (_buildkit_record(overlap=0.0), {"buildkit: distroless, seconds its two stages overlapped"}),
    (_buildkit_record(compile_ratio=0.5), {"buildkit: the compile alone, with cache mounts / without"}),
])
def test_buildkit_targets_fail_where_buildkit_did_not_help(record, failed):
    found = report.targets({"buildkit": record})
    assert {t.name for t in found if t.passed is False} == failed
    assert [t.passed for t in found if t.op is None] == [None]


def test_a_part_that_failed_leaves_its_targets_unmeasured():
    found = report.targets({"rebuild": {"error": "BuildFailed: step 3"}})
    assert [t.row()[1:] for t in found] == [["not measured", "<= 0.1", "FAIL"], ["not measured", "—", "—"]]
    assert report.targets({}) == []


def test_summary_table_has_one_line_per_target():
    text = report.summary_table([report.Target("a", 1.0, "<=", 2.0), report.Target("b", 3.0, "<=", 2.0)])
    assert text.splitlines()[0].split() == ["target", "measured", "target", "pass"]
    assert [line.split()[-1] for line in text.splitlines()[2:]] == ["pass", "FAIL"]


# --- parsing ---------------------------------------------------------------------------------

NBCONVERT_FAILURE = """\
[NbConvertApp] Converting notebook notebooks/06-build-cache.ipynb to notebook
Traceback (most recent call last):
  File "/x/nbclient/client.py", line 1, in execute
nbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:
------------------
assert warm_cache["COPY . ."] == "ran", "the changed source was not copied"
------------------

\x1b[0;31m---------------------------------------------------------------------------\x1b[0m
\x1b[0;31mAssertionError\x1b[0m                            Traceback (most recent call last)
Cell \x1b[0;32mIn[8], line 2\x1b[0m
\x1b[0;31mAssertionError\x1b[0m: the changed source was not copied

"""


def test_error_summary_is_the_last_exception_line_without_colours():
    assert report.error_summary(NBCONVERT_FAILURE) == "AssertionError: the changed source was not copied"


def test_error_summary_falls_back_to_the_last_line():
    assert report.error_summary("step 1\nsomething went wrong\n\n") == "something went wrong"
    assert report.error_summary("") == "(no output)"


def test_served_base_reads_prepare_output():
    out = ("Docker engine 20.10 ...\nbase  ubuntu:24.04: not reachable here, so the Debian bookworm stand-in "
           "dockerlab/debian:bookworm-minbase was built from Debian's packages with debootstrap.\nimage ...\n")
    assert served_base(out).startswith("ubuntu:24.04: not reachable here") and served_base(out).endswith("debootstrap.")
    assert served_base("no such line\n") is None


def test_mounts_under_a_folder_deepest_first_and_not_its_neighbours():
    info = "\n".join([
        "22 1 254:0 / / rw - ext4 /dev/vda rw",
        "43 27 254:0 /tmp/s-abc/data /tmp/s-abc/data rw shared:2 - ext4 /dev/vda rw",
        "44 43 0:50 / /tmp/s-abc/data/overlay2/l1/merged rw - overlay overlay rw",
        "45 22 0:51 / /tmp/s-abc/exec/netns/a\\040b rw - nsfs nsfs rw",
        "46 22 254:0 / /tmp/s-abcd/data rw - ext4 /dev/vda rw",
        "short line",
    ])
    assert mounts_under(info, Path("/tmp/s-abc")) == [
        "/tmp/s-abc/data/overlay2/l1/merged", "/tmp/s-abc/exec/netns/a b", "/tmp/s-abc/data"]


def test_the_scratch_dockerd_keeps_every_path_in_its_folder():
    cmd = dockerd_command(Path("/tmp/s-abc"))
    for flag in ("--data-root", "--exec-root", "--pidfile", "--config-file"):
        assert cmd[cmd.index(flag) + 1].startswith("/tmp/s-abc/")
    assert cmd[cmd.index("--host") + 1] == "unix:///tmp/s-abc/docker.sock"
    assert {"--bridge=none", "--iptables=false", "--ip-masq=false"} <= set(cmd)
    assert not [arg for arg in cmd if arg.startswith("/var/") or arg.startswith("/run/")]


def test_times_smaller_by_name():
    images = [{"image": "p/big:latest", "size_bytes": 1000}, {"image": "p/small:latest", "size_bytes": 4}]
    assert times_smaller(images, "p/big:latest", "p/small:latest") == 250
    assert times_smaller(images, "p/big:latest", "p/gone:latest") is None


def test_the_bench_prefix_holds_inside_its_block_only(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PREFIX", "alice/")
    with prefix("dockerlab-bench/"):
        assert os.environ["DOCKERLAB_PREFIX"] == "dockerlab-bench/"
    assert os.environ["DOCKERLAB_PREFIX"] == "alice/"
    monkeypatch.delenv("DOCKERLAB_PREFIX")
    with prefix("dockerlab-bench/"):
        pass
    assert "DOCKERLAB_PREFIX" not in os.environ


def test_the_notebooks_are_the_numbered_lessons_in_order():
    names = [nb.stem for nb in notebooks()]
    assert names == sorted(names) and names[0].startswith("00-") and all(n[:2].isdigit() for n in names)


def test_a_failing_step_is_reported_with_its_error(tmp_path):
    record = timed([sys.executable, "-c", "raise ValueError('bad input')"], tmp_path / "step.log", dict(os.environ))
    assert record["ok"] is False and record["error"] == "exit 1: ValueError: bad input"
    assert Path(record["log"]).read_text().strip().endswith("ValueError: bad input")


def test_paired_ratio_is_the_median_of_run_by_run_ratios():
    # the ratio of medians would be 6.42 / 5.84 = 1.10; pair by pair the analysis is no slower
    analysis, save = [7.0, 5.8, 6.9, 6.2, 5.9], [8.7, 5.8, 5.8, 6.7, 5.9]
    assert report.paired_ratio(analysis, save) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        report.paired_ratio([1.0], [1.0, 2.0])


# --- where the time went -----------------------------------------------------------------------

def _timed_cell(source: str, start: str, end: str) -> dict:
    return {"cell_type": "code", "source": source,
            "metadata": {"execution": {"iopub.execute_input": start, "shell.execute_reply": end}}}


def test_cell_seconds_reads_the_kernels_timing_slowest_first():
    executed = {"cells": [
        {"cell_type": "markdown", "source": "# title", "metadata": {}},
        _timed_cell("import x\nx.go()", "2026-11-27T08:00:00.000000Z", "2026-11-27T08:00:01.500000Z"),
        {"cell_type": "code", "source": "never ran", "metadata": {}},
        _timed_cell(["\n", "build()\n", "more()"], "2026-11-27T08:00:02Z", "2026-11-27T08:01:02.250000Z"),
        _timed_cell("", "2026-11-27T08:01:03Z", "2026-11-27T08:01:03.010000Z"),
    ]}
    cells = report.cell_seconds(executed)
    assert [(c["cell"], c["first_line"]) for c in cells] == [(3, "build()"), (1, "import x"), (4, "")]
    assert [round(c["seconds"], 2) for c in cells] == [60.25, 1.5, 0.01]


def test_slowest_cells_table_ranks_across_notebooks_with_their_share():
    rec = {"total_s": 200.0, "notebooks": [
        {"notebook": "05-a", "cells": [{"cell": 7, "seconds": 20.0, "first_line": "scan()"}]},
        {"notebook": "06-b", "cells": [{"cell": 24, "seconds": 50.0, "first_line": "build(bad)"},
                                       {"cell": 7, "seconds": 40.0, "first_line": "build(cold)"}]},
        {"notebook": "07-c"},  # failed before it was timed
    ]}
    lines = report.slowest_cells_table(rec, count=2).splitlines()
    assert len(lines) == 4
    assert lines[2].split() == ["06-b", "24", "50.0", "25%", "build(bad)"]
    assert lines[3].split() == ["06-b", "7", "40.0", "20%", "build(cold)"]
