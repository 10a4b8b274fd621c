"""Figures for the lessons: image sizes, layers stacked per image, the biggest directories.

Every function takes ``ax=None`` (a new figure sized to the data when None) and returns the
Axes; none calls ``plt.show()``. Sizes are shown in MB (10^6 bytes), as ``docker images`` does.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from .errors import UsageError
from .filetree import dir_sizes

__all__ = ["sizes", "layers", "segment_label", "top_dirs", "shorten", "timeline"]

_MB = 1e6
_LABEL_SHARE = 0.05  # layers() labels layers bigger than this share of the biggest image


def shorten(text: str, *, width: int = 28) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _axes(ax: Axes | None, bars: int, *, width: float = 8.0) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=(width, max(2.4, 0.4 * bars + 1.2)), layout="constrained")
    return ax


def _mb(value: float) -> str:
    mb = value / _MB
    digits = 0 if mb >= 100 else 1 if mb >= 10 else 2 if mb >= 1 else 3
    return f"{mb:,.{digits}f} MB"


def sizes(images: Mapping[str, int] | pd.Series, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars of image sizes (bytes in, MB on a linear axis), first image on top.

    The axis is linear so that bar lengths compare as the sizes do; a bar too short to see still
    carries its value, and, when under 1 % of the longest, the share of it that it is."""
    series = pd.Series(images, dtype="float64") if not isinstance(images, pd.Series) else images.astype("float64")
    if series.empty:
        raise UsageError("sizes() needs at least one image: pass {name: size_in_bytes}.")
    ax = _axes(ax, len(series))
    names = [str(n) for n in series.index]
    mb = [max(v, 0.0) / _MB for v in series.to_numpy()]
    y = list(range(len(mb)))
    bars = ax.barh(y, mb, color="tab:blue", height=0.6)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    high = max(max(mb), 1e-6)
    ax.set_xlim(0, high * 1.3)  # room on the right for the labels
    for bar, value in zip(bars, series.to_numpy()):
        share = value / (high * _MB)
        label = _mb(value) + (f"  ({share:.2%} of the longest bar)" if 0 < share < 0.01 else "")
        ax.annotate(label, (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(4, 0), textcoords="offset points", va="center", ha="left", fontsize=9)
    ax.set_title("Image size")
    ax.set_xlabel("size (MB)")
    ax.grid(axis="x", which="major", alpha=0.3)
    return ax


def segment_label(instruction: str) -> str:
    """A build step's instruction, as a layer segment's label: the base layer as "base",
    a `RUN` by its last command (`apt-get update && apt-get install -y x` -> `apt-get install -y x`)."""
    text = " ".join(str(instruction or "").split())
    if not text or text.startswith("(Imported") or text.startswith("ADD file:"):
        return "base"
    for prefix in ("/bin/sh -c ", "#(nop) ", "RUN "):
        text = text.removeprefix(prefix)
    return text.split("&&")[-1].strip()


def layers(tables: Mapping[str, pd.DataFrame], *, ax: Axes | None = None) -> Axes:
    """One stacked bar per image, one segment per layer (MB, linear), first image on top.

    Each table has columns index, size, instruction (as `Analysis.layers_frame()` gives).
    Layers bigger than 5 % of the biggest image carry their instruction (`segment_label`), cut to fit
    the segment.
    """
    if not tables:
        raise UsageError("layers() needs at least one image: pass {name: layers DataFrame}.")
    ax = _axes(ax, len(tables), width=10.0)
    totals = {name: float(df["size"].sum()) for name, df in tables.items()}
    biggest = max(max(totals.values()), 1.0)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    labels = []  # (text artist, segment width in data units)
    for row, (name, df) in enumerate(tables.items()):
        left = 0.0
        for k, (size, instruction) in enumerate(zip(df["size"], df["instruction"])):
            width = float(size) / _MB
            ax.barh(row, width, left=left, height=0.6, color=colors[k % len(colors)],
                    edgecolor="white", linewidth=0.5)
            if size > _LABEL_SHARE * biggest:
                text = ax.text(left + width / 2, row, shorten(segment_label(instruction) if instruction else f"layer {k}", width=40),
                               ha="center", va="center", fontsize=8, color="white", clip_on=True)
                labels.append((text, width))
            left += width
        ax.annotate(_mb(totals[name]), (left, row), xytext=(4, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=9)
    ax.set_yticks(range(len(tables)), [str(n) for n in tables])
    ax.invert_yaxis()
    ax.set_xlim(0, biggest / _MB * 1.18)
    ax.set_title("Layers of each image (one segment per layer)")
    ax.set_xlabel("size (MB)")
    _fit_inside(ax, labels)
    return ax


def _fit_inside(ax: Axes, labels: list) -> None:
    """Cut each segment label until it fits its segment (measured after the figure's layout)."""
    if not labels:
        return
    fig = ax.figure
    fig.draw_without_rendering()  # run the layout engine, so the axes have their final width
    renderer = fig.canvas.get_renderer()
    x0 = ax.transData.transform((0, 0))[0]
    for text, width in labels:
        room = ax.transData.transform((width, 0))[0] - x0 - 6  # pixels, with a little padding
        full = text.get_text()
        for candidate in [full] + [full[:n].rstrip() + "…" for n in range(len(full) - 1, 2, -1)]:
            text.set_text(candidate)
            if text.get_window_extent(renderer).width <= room:
                break
        else:
            text.set_text("")


def top_dirs(files_df: pd.DataFrame, *, depth: int = 2, n: int = 12, ax: Axes | None = None) -> Axes:
    """The `n` biggest directories at `depth` of the final filesystem, in MB, biggest on top."""
    table = dir_sizes(files_df, depth=depth).head(n)
    ax = _axes(ax, len(table))
    y = list(range(len(table)))
    bars = ax.barh(y, table["size"] / _MB, color="tab:orange", height=0.6)
    ax.set_yticks(y, table["dir"].tolist())
    ax.invert_yaxis()
    for bar, size in zip(bars, table["size"]):
        ax.annotate(_mb(size), (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(4, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=9)
    top = float(table["size"].max()) / _MB if len(table) else 1.0
    ax.set_xlim(0, (top or 1.0) * 1.2)
    ax.set_title(f"Biggest directories at depth {depth} (final filesystem)")
    ax.set_xlabel("size (MB)")
    return ax


def timeline(steps, *, ax: Axes | None = None, title: str = "Build steps over time") -> Axes:
    """One bar per build step from its start to its end (seconds), one row per step, a colour per
    stage, in the order the steps started. `steps` are `build.StepTime` records (a build's
    ``timeline``): anything with stage, instruction, start, end and cached."""
    steps = sorted(steps, key=lambda s: (s.start, s.end))
    if not steps:
        raise UsageError("timeline() needs at least one step: pass a build's `timeline`.")
    ax = _axes(ax, len(steps), width=10.0)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    stages = list(dict.fromkeys(str(s.stage) for s in steps))
    for row, step in enumerate(steps):
        color = colors[stages.index(str(step.stage)) % len(colors)]
        width = max(step.end - step.start, 0.02)  # an instant step still shows
        ax.barh(row, width, left=step.start, height=0.6, color=color, alpha=0.45 if step.cached else 1.0,
                label=str(step.stage))
    ax.set_yticks(range(len(steps)), [shorten(f"{s.stage}: {s.instruction}", width=44) for s in steps], fontsize=8)
    ax.invert_yaxis()
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    ax.legend(unique.values(), unique.keys(), title="stage", loc="lower right", fontsize=8)
    ax.set_xlim(0, max(s.end for s in steps) * 1.05 or 1.0)
    ax.set_title(title)
    ax.set_xlabel("seconds from the start of the build (pale: from the cache)")
    ax.grid(axis="x", alpha=0.3)
    return ax
