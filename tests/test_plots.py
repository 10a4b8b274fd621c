"""Tests of dockerlab.plots, headless: titles, units, bar counts, labels that do not collide."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from dockerlab import filetree, plots  # noqa: E402

MB = 1_000_000


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels(ax: Axes) -> list:
    """Every visible text of the Axes: value labels, segment labels, y tick labels, title, x label."""
    texts = [t for t in ax.texts if t.get_text()]
    texts += [t for t in ax.get_yticklabels() if t.get_text()]
    return texts + [ax.title, ax.xaxis.label]


def assert_readable(ax: Axes) -> None:
    """No two label boxes intersect, and none sticks out of the figure."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels(ax)]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"labels overlap: {a!r} and {b!r}"
    for text, box in boxes:
        assert box.x0 >= -1 and box.x1 <= fig.bbox.x1 + 1 and box.y0 >= -1 and box.y1 <= fig.bbox.y1 + 1, text


def assert_titled(ax: Axes) -> None:
    assert ax.get_title()
    assert "MB" in ax.get_xlabel()


# --- sizes() ---------------------------------------------------------------------------------

def test_sizes() -> None:
    images = {"dockerlab/single-stage:latest": 1_224_950_000, "dockerlab/multi-stage:latest": 2_130_000,
              "dockerlab/multi-stage-build:latest": 1_224_950_000, "tiny": 1_500}
    ax = plots.sizes(images)
    assert isinstance(ax, Axes)
    assert_titled(ax)
    assert ax.get_xscale() == "linear" and "log" not in ax.get_xlabel()  # lengths compare as sizes do
    assert len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_yticklabels()] == list(images)  # first on top (inverted axis)
    assert ax.yaxis_inverted()
    values = [t.get_text() for t in ax.texts]
    assert values == ["1,225 MB", "2.13 MB  (0.17% of the longest bar)", "1,225 MB", "0.002 MB  (0.00% of the longest bar)"]
    assert_readable(ax)


def test_sizes_series_and_given_axes() -> None:
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    sizes = pd.Series({"a": 5 * MB, "b": 50 * MB, "c": 0})
    assert plots.sizes(sizes, ax=ax) is ax
    assert len(ax.patches) == 3
    assert_readable(ax)
    with pytest.raises(ValueError, match="at least one"):
        plots.sizes({})


# --- layers() --------------------------------------------------------------------------------

def table(*sizes_and_steps: tuple[int, str]) -> pd.DataFrame:
    return pd.DataFrame([(i, s, text) for i, (s, text) in enumerate(sizes_and_steps)],
                        columns=["index", "size", "instruction"])


TABLES = {
    "single-stage": table((117 * MB, "(Imported from -)"),
                          (1106 * MB, "RUN apt-get update && apt-get install -y golang-go"),
                          (0, "WORKDIR /src"), (35_000, "COPY dir:ecbbee0cd6f2 in ."),
                          (2_580_000, "RUN CGO_ENABLED=0 go build -o /usr/local/bin/calc .")),
    "multi-stage": table((2_130_000, "COPY file:74f08031553b in /calc")),
    "many-mid-layers": table(*[(70 * MB, f"RUN step number {k} with a long shell command line")
                               for k in range(8)]),
}


def test_layers() -> None:
    ax = plots.layers(TABLES)
    assert isinstance(ax, Axes)
    assert_titled(ax)
    assert ax.get_xscale() == "linear"
    assert len(ax.patches) == sum(len(t) for t in TABLES.values())  # one segment per layer
    rows = {round(p.get_y() + p.get_height() / 2, 6) for p in ax.patches}
    assert len(rows) == len(TABLES)  # one bar per image
    assert [t.get_text() for t in ax.get_yticklabels()] == list(TABLES)
    # labelled: layers > 5 % of the biggest image (1.225 GB): 117 MB, 1106 MB and the eight 70 MB ones
    segment_labels = [t for t in ax.texts if not isinstance(t, Annotation)]  # totals are annotations
    assert len(segment_labels) == 10
    shown = [t.get_text() for t in segment_labels if t.get_text()]
    assert "base" in shown and "apt-get install -y golang-go" in shown  # readable, whole
    assert any(text.startswith("step") and text.endswith("…") for text in shown)  # cut to fit
    totals = [t.get_text() for t in ax.texts if t.get_text().endswith(" MB")]
    assert totals == ["1,226 MB", "2.13 MB", "560 MB"]
    assert_readable(ax)


def test_layer_labels_stay_inside_their_segment() -> None:
    ax = plots.layers(TABLES)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    segments = [p.get_window_extent(renderer) for p in ax.patches]
    for text in ax.texts:
        if not text.get_text() or isinstance(text, Annotation):
            continue
        box = text.get_window_extent(renderer)
        assert any(s.x0 <= box.x0 and box.x1 <= s.x1 for s in segments), text.get_text()


def test_layers_on_given_axes() -> None:
    fig, ax = plt.subplots(figsize=(5, 2.5), layout="constrained")
    assert plots.layers({"multi-stage": TABLES["multi-stage"]}, ax=ax) is ax
    assert len(ax.patches) == 1
    assert_readable(ax)
    with pytest.raises(ValueError, match="at least one"):
        plots.layers({})


# --- dir_sizes() and top_dirs() --------------------------------------------------------------

def files_table(rows: list[tuple[int, str, int, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["layer", "path", "size", "type"])


FILES = files_table([
    (0, "f", 5, "file"),
    (0, "usr", 0, "dir"), (0, "usr/lib", 0, "dir"),
    (0, "usr/lib/a", 100, "file"), (0, "usr/lib/b", 200, "file"), (0, "usr/lib/c", 0, "symlink"),
    (0, "usr/share/doc/x", 50, "file"),
    (0, "opt/tool/bin", 300, "file"),
    (0, "var/cache/apt/archives/p.deb", 1000, "file"),
    (1, "usr/lib/a", 150, "file"),  # overridden: the later copy counts
    (1, "usr/lib/.wh.b", 0, "whiteout"),  # a file removed
    (1, "usr/.wh.share", 0, "whiteout"),  # a directory removed
    (1, "var/cache/apt/archives/.wh..wh..opq", 0, "opaque"),  # emptied, then refilled
    (1, "var/cache/apt/archives/keep", 7, "file"),
    (2, "opt/tool", 0, "symlink"),  # a directory replaced by a link
    (2, "usr/share/new", 9, "file"),  # re-created above its whiteout
])


def test_dir_sizes_final_filesystem() -> None:
    table = filetree.dir_sizes(FILES)
    assert list(table.columns) == ["dir", "size", "files"]
    assert table.to_dict("records") == [
        {"dir": "/usr/lib", "size": 150, "files": 1},
        {"dir": "/usr/share", "size": 9, "files": 1},
        {"dir": "/var/cache", "size": 7, "files": 1},
        {"dir": "/", "size": 5, "files": 1},
    ]
    assert filetree.dir_sizes(FILES, depth=1).to_dict("records") == [
        {"dir": "/usr", "size": 159, "files": 2}, {"dir": "/var", "size": 7, "files": 1},
        {"dir": "/", "size": 5, "files": 1}]
    assert filetree.dir_sizes(FILES, depth=4)["dir"].tolist() == [
        "/usr/lib", "/usr/share", "/var/cache/apt/archives", "/"]
    with pytest.raises(ValueError, match="depth"):
        filetree.dir_sizes(FILES, depth=0)


def test_top_dirs() -> None:
    rows = [(0, f"srv/d{k:02d}/file", (k + 1) * MB, "file") for k in range(20)]
    frame = files_table(rows)
    ax = plots.top_dirs(frame, n=12)
    assert isinstance(ax, Axes)
    assert_titled(ax)
    assert len(ax.patches) == 12
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == [f"/srv/d{k:02d}" for k in range(19, 7, -1)]  # biggest first, on top
    assert ax.yaxis_inverted()
    widths = [p.get_width() for p in ax.patches]
    assert widths == sorted(widths, reverse=True) and widths[0] == pytest.approx(20.0)
    assert_readable(ax)
    small = plots.top_dirs(FILES, depth=2)
    assert len(small.patches) == 4
    assert_readable(small)


def test_segment_labels_name_the_step() -> None:
    assert plots.segment_label("(Imported from -)") == "base"
    assert plots.segment_label("RUN apt-get update && apt-get install -y golang-go") == "apt-get install -y golang-go"
    assert plots.segment_label("COPY dir:ecbbee0cd6f2 in .") == "COPY dir:ecbbee0cd6f2 in ."
