"""One image, analysed the way ``dive --ci`` does: sizes, efficiency, wasted bytes, per-layer sizes.

`analyze("dockerlab/single-stage")` reads the image from the engine (one streamed save);
`analyze("image.tar")` reads an archive written by ``docker save``. `rules()` checks the result
against dive's two CI thresholds (``lowestEfficiency``, ``highestUserWastedPercent``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ImageNotFound, UsageError
from .filetree import Efficiency, efficiency
from .history import history_from_records
from .layers import files

__all__ = ["Analysis", "analyze", "rules", "TOP_WASTED"]

TOP_WASTED = 10  # how many wasted paths an Analysis keeps
_MB = 1e6


@dataclass(frozen=True)
class Analysis(Efficiency):
    """dive's numbers for one image (those of `Efficiency`, with its worst duplicates), its name,
    and its layers as (index, size, instruction)."""

    image: str = ""
    layers: tuple[tuple[int, int, str], ...] = ()
    files: pd.DataFrame | None = field(default=None, repr=False, compare=False)  # every entry read

    def layers_frame(self) -> pd.DataFrame:
        """The layers as a DataFrame (columns index, size, instruction), as `plots.layers` takes."""
        frame = pd.DataFrame(list(self.layers), columns=["index", "size", "instruction"])
        return frame.astype({"index": "int64", "size": "int64", "instruction": "object"})

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready numbers (no image name), keys as in the CLI's ``--json`` output."""
        return {
            "size_bytes": self.size_bytes,
            "user_size_bytes": self.user_size_bytes,
            "wasted_bytes": self.wasted_bytes,
            "reclaimable_bytes": self.reclaimable_bytes,
            "efficiency": self.efficiency,
            "user_wasted_ratio": self.user_wasted_ratio,
            "layers": [{"index": i, "size_bytes": s, "instruction": text} for i, s, text in self.layers],
            "top_wasted": [{"path": w.path, "copies": w.copies, "cumulative_size": w.cumulative_size,
                            "reclaimable": w.reclaimable} for w in self.top_wasted],
        }

    def summary(self) -> str:
        """A short report in the spirit of ``dive --ci``: scores, then layers, then duplicates."""
        lines = [
            f"Image: {self.image}",
            f"  efficiency: {self.efficiency * 100:.4f} %",
            f"  wastedBytes: {self.wasted_bytes} bytes ({self.wasted_bytes / _MB:.2f} MB)",
            f"  userWastedPercent: {self.user_wasted_ratio * 100:.4f} %",
            f"  reclaimable: {self.reclaimable_bytes / _MB:.2f} MB (removing every duplicate copy)",
            f"  size: {self.size_bytes / _MB:.2f} MB, of which {self.user_size_bytes / _MB:.2f} MB "
            "above the base layer",
            "Layers:",
        ]
        width = max((len(f"{s / _MB:.2f}") for _, s, _ in self.layers), default=4)
        lines += [f"  {i:>3}  {s / _MB:>{width}.2f} MB  {text}" for i, s, text in self.layers]
        lines.append("Inefficient files:" if self.top_wasted else "Inefficient files: none")
        if self.top_wasted:
            lines.append(f"  {'Count':>5}  {'Wasted Space':>12}  File Path")
            lines += [f"  {w.copies:>5}  {w.cumulative_size / _MB:>9.2f} MB  /{w.path}"
                      for w in self.top_wasted]
        return "\n".join(lines)


def analyze(target: str | os.PathLike[str], *, client: Any = None) -> Analysis:
    """Analyse an engine image (name or id) or a ``docker save`` archive (an existing file path).

    Raises `ImageNotFound` when the engine has no such image, `ArchiveError` for an unreadable
    archive and `EngineUnavailable` when no engine answers.
    """
    path = Path(target)
    if path.is_file():
        frame = files(path)
        records = _config_records(frame.attrs.get("config"))
        return _result(str(target), frame, records)
    name = os.fspath(target)
    if client is None:
        from .engine import connect

        client, _ = connect()
    image = _get(client, name)
    frame = files(image)
    return _result(name, frame, image.history())


def rules(analysis: Analysis, *, lowest_efficiency: float | None = None,
          highest_user_wasted_ratio: float | None = None) -> list[tuple[str, bool, str]]:
    """dive's CI rules as (name, passed, detail); a threshold left at None is not checked.

    Like dive: fail when efficiency < `lowest_efficiency`, and when the user wasted ratio
    (wasted bytes / bytes above the base layer) > `highest_user_wasted_ratio`.
    """
    results = []
    if lowest_efficiency is not None:
        _check_ratio("lowest_efficiency", lowest_efficiency)
        ok = not lowest_efficiency > analysis.efficiency
        results.append(("lowestEfficiency", ok,
                        f"efficiency={analysis.efficiency:.6g} {'>=' if ok else '<'} "
                        f"threshold={lowest_efficiency:g}"
                        + ("" if ok else ": image efficiency is too low")))
    if highest_user_wasted_ratio is not None:
        _check_ratio("highest_user_wasted_ratio", highest_user_wasted_ratio)
        ok = not highest_user_wasted_ratio < analysis.user_wasted_ratio
        results.append(("highestUserWastedPercent", ok,
                        f"user-wasted-ratio={analysis.user_wasted_ratio:.6g} {'<=' if ok else '>'} "
                        f"threshold={highest_user_wasted_ratio:g}"
                        + ("" if ok else ": too many bytes wasted, relative to the bytes the "
                           "user layers add")))
    return results


def _check_ratio(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"{name}={value!r} is not a ratio: give a number from 0 to 1 (0.95 means 95 %).")


def _get(client: Any, name: str) -> Any:
    """The engine's image `name`, or ImageNotFound saying how to list the images there are."""
    import docker.errors

    try:
        return client.images.get(name)
    except docker.errors.APIError as exc:  # NotFound, or a name that is not a valid reference
        found = isinstance(exc, docker.errors.NotFound)
        reason = "" if found else f" ({getattr(exc, 'explanation', None) or exc})"
        raise ImageNotFound(
            f"the engine has no image {name!r}{reason}, and there is no file by that name. "
            "List the tutorial's images with `python -m dockerlab images` (all of them with "
            "`docker image ls`), build them with `python -m dockerlab prepare`, or pass the path "
            "of an archive written by `docker save IMAGE -o FILE`."
        ) from None


def _config_records(config: Any) -> list[dict]:
    """The image config's history as engine-style records (newest first); [] without a config."""
    history = config.get("history") if isinstance(config, dict) else None
    if not isinstance(history, list):
        return []
    return [{"CreatedBy": h.get("created_by") or "", "Comment": h.get("comment") or "", "Size": 0,
             "Created": 0} for h in reversed(history) if isinstance(h, dict)]


def _layer_count(frame: pd.DataFrame) -> int:
    config = frame.attrs.get("config")
    diff_ids = ((config or {}).get("rootfs") or {}).get("diff_ids") if isinstance(config, dict) else None
    seen = int(frame["layer"].max()) + 1 if len(frame) else 0
    return max(len(diff_ids), seen) if isinstance(diff_ids, list) else seen


def _instructions(records: list[dict], config: Any, count: int) -> list[str]:
    """One instruction per layer, oldest first, from history records (newest first).

    Which history rows made a layer comes from the image config's ``empty_layer`` flags when the
    config's history lines up with the records; otherwise from `history_from_records`' guess.
    """
    if not records:
        return [""] * count
    steps = history_from_records(records)
    comments = [r.get("Comment") or "" for r in reversed(records)]
    texts = [text or (f"({comment})" if comment else "") for text, comment in zip(steps["instruction"], comments)]
    cfg = config.get("history") if isinstance(config, dict) else None
    made = None
    if isinstance(cfg, list) and len(cfg) == len(texts):
        flags = [not (isinstance(h, dict) and h.get("empty_layer")) for h in cfg]
        if sum(flags) == count:
            made = flags
    if made is None:
        made = steps["layer"].tolist()
    picked = [text for text, flag in zip(texts, made) if flag]
    if len(picked) >= count:  # the newest layers match the newest steps
        return picked[len(picked) - count:]
    return [""] * (count - len(picked)) + picked


def _result(name: str, frame: pd.DataFrame, records: list[dict]) -> Analysis:
    eff = efficiency(frame)
    count = _layer_count(frame)
    sizes = frame.groupby("layer")["size"].sum().to_dict() if len(frame) else {}
    texts = _instructions(records, frame.attrs.get("config"), count)
    scores = {f.name: getattr(eff, f.name) for f in fields(Efficiency)}
    return Analysis(
        **{**scores, "top_wasted": eff.top_wasted[:TOP_WASTED]},
        image=name,
        layers=tuple((i, int(sizes.get(i, 0)), texts[i]) for i in range(count)),
        files=frame,
    )
