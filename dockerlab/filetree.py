"""An image's file tree, two ways: dive's, for its efficiency numbers, and the real one.

Both stack the `layers.files()` table layer on layer, and they differ on purpose:

- `efficiency` follows dive 0.13.1's FileTree, so that its numbers are dive's to the byte,
  quirks included: an opaque-directory marker never becomes a node, so it hides nothing below;
  a file that replaces a directory keeps the directory's children; a whiteout with nothing
  below it counts -1 bytes and makes dive skip the rest of that layer.
- `final_files` (and `dir_sizes` on it) follows the OCI image spec's overlay rules, what a
  container started from the image sees: whiteouts, opaque directories and a directory
  replaced by a file or link remove everything below them from the layers underneath.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import pandas as pd

from .errors import UsageError

__all__ = ["efficiency", "Efficiency", "WastedPath", "final_files", "dir_sizes"]


# --- dive's model: efficiency, exactly as dive 0.13.1 (filetree/efficiency.go, file_tree.go) ---

class _Node:
    """A node of dive's per-layer FileTree: implied parents exist with is_dir=False, size=0."""

    __slots__ = ("kids", "is_dir", "size")

    def __init__(self, is_dir: bool = False, size: int = 0) -> None:
        self.kids: dict[str, _Node] = {}
        self.is_dir, self.size = is_dir, size

    def copy(self) -> _Node:
        twin = _Node(self.is_dir, self.size)
        twin.kids = {name: kid.copy() for name, kid in self.kids.items()}
        return twin

    def walk(self) -> list[tuple[str, str, _Node]]:
        """(path, name, node) depth first, children (in byte order) before their parent; the root
        is skipped. Built as a list by plain recursion: nested generators cost per level."""
        found: list[tuple[str, str, _Node]] = []

        def visit(node: _Node, prefix: str) -> None:
            for name in sorted(node.kids):
                kid = node.kids[name]
                if kid.kids:
                    visit(kid, f"{prefix}{name}/")
                found.append((prefix + name, name, kid))

        visit(self, "")
        return found

    def add(self, path: str, is_dir: bool, size: int) -> None:  # FileTree.AddPath
        node = self
        for name in path.split("/"):
            if not name:
                continue
            kid = node.kids.get(name)
            if kid is None:
                if name.startswith(".wh..wh.."):  # opaque markers never become nodes
                    return
                kid = node.kids[name] = _Node()
            node = kid
        node.is_dir, node.size = is_dir, size

    def get(self, path: str) -> _Node | None:  # FileTree.GetNode
        node: _Node | None = self
        for name in filter(None, path.split("/")):
            node = node.kids.get(name) if node else None
        return node

    def stack(self, upper: _Node) -> None:  # FileTree.Stack: whiteouts remove, the rest add
        for path, name, node in upper.walk():
            path = _node_path(path, name)
            if name.startswith(".wh."):
                parent = self.get(posixpath.dirname(path))
                if parent is not None:
                    parent.kids.pop(posixpath.basename(path), None)
            else:
                self.add(path, node.is_dir, node.size)


def _node_path(path: str, name: str) -> str:
    """dive's FileNode.Path() of the node `name` at `path`: a whiteout `.wh.NAME` stands for NAME."""
    return path[:len(path) - len(name)] + name[4:] if name.startswith(".wh.") else path


@dataclass(frozen=True)
class WastedPath:
    """A path held by two layers or more; `pandas.DataFrame(eff.top_wasted)` tabulates them."""

    path: str
    copies: int
    cumulative_size: int
    smallest_size: int
    reclaimable: int


@dataclass(frozen=True)
class Efficiency:
    """dive's image numbers, plus `reclaimable_bytes` (what removing duplicates would save)."""

    size_bytes: int
    user_size_bytes: int
    wasted_bytes: int
    reclaimable_bytes: int
    efficiency: float
    user_wasted_ratio: float
    top_wasted: tuple[WastedPath, ...]


def efficiency(files_df: pd.DataFrame) -> Efficiency:
    """dive 0.13.1's efficiency score, wasted bytes and sizes, computed from `files()` rows.

    It stacks the layers as dive's FileTree does, quirks included (see the module docstring),
    so that its numbers are dive's to the byte; what a container sees is `final_files`.
    """
    count = int(files_df["layer"].max()) + 1 if len(files_df) else 0
    trees = [_Node() for _ in range(count)]
    columns = (files_df[c].tolist() for c in ("layer", "path", "type", "size"))  # faster than rows
    for layer, path, kind, size in zip(*columns):
        trees[layer].add(path, kind == "dir", int(size))

    stats: dict[str, list[int]] = {}  # path -> [cumulative size, smallest size (-1: none), copies]
    lower, stacked_upto = None, -1  # dive's StackTreeRange(trees, 0, idx-1), built incrementally
    for idx, tree in enumerate(trees):
        for path, name, node in tree.walk():
            if node.kids:
                continue  # dive only visits leaves
            path = _node_path(path, name)
            data = stats.setdefault(path, [0, -1, 0])
            size = node.size
            if name.startswith(".wh."):
                if lower is None:
                    lower = trees[0].copy()
                while stacked_upto < idx - 1:  # dive stacks layer 0 onto its own copy too
                    stacked_upto += 1
                    lower.stack(trees[stacked_upto])
                hidden = lower.get(path)
                if hidden is None:
                    break  # dive's visitor errors here and skips the rest of this layer
                size = sum(n.size for _, _, n in hidden.walk()) + hidden.size if hidden.is_dir else 0
            data[0] += size
            data[1] = size if data[1] < 0 else min(data[1], size)
            data[2] += 1

    cumulative = sum(d[0] for d in stats.values())
    smallest = sum(d[1] for d in stats.values())  # an unmatched whiteout leaves -1 here, as in dive
    wasted = sorted((WastedPath(p, d[2], d[0], d[1], d[0] - d[1])
                     for p, d in stats.items() if d[2] >= 2),
                    key=lambda w: (-w.cumulative_size, w.path))
    size_bytes = int(files_df["size"].sum())
    user_size = int(files_df.loc[files_df["layer"] != 0, "size"].sum())
    wasted_bytes = sum(w.cumulative_size for w in wasted)
    return Efficiency(
        size_bytes=size_bytes,
        user_size_bytes=user_size,
        wasted_bytes=wasted_bytes,
        reclaimable_bytes=sum(d[0] - d[1] for d in stats.values() if d[2]),
        efficiency=smallest / cumulative if cumulative else 1.0,
        user_wasted_ratio=wasted_bytes / user_size if user_size else 0.0,
        top_wasted=tuple(wasted),
    )


# --- the real model: what a container sees ---------------------------------------------

def final_files(files_df: pd.DataFrame) -> pd.DataFrame:
    """The entries of `layers.files()` that survive in the final filesystem, one per path.

    The overlay rules of the OCI image spec, unlike dive's tree (`efficiency`): the last
    layer's entry of each path wins, and whatever a later layer removed is dropped: whiteouts,
    opaque directories, and directories replaced by a file or link, with all below them.
    """
    removed: dict[str, int] = {}  # path -> highest layer that removed it and everything below it
    below: dict[str, int] = {}  # path -> highest layer that removed everything below it
    for layer, path, kind in files_df[["layer", "path", "type"]].itertuples(index=False):
        parent, base = posixpath.split(path)
        if kind == "whiteout":
            target = posixpath.join(parent, base[len(".wh."):])
            removed[target] = max(removed.get(target, -1), layer)
        elif kind == "opaque":
            below[parent] = max(below.get(parent, -1), layer)
        elif kind != "dir":
            below[path] = max(below.get(path, -1), layer)
    last = files_df[~files_df["type"].isin(["whiteout", "opaque"])].drop_duplicates("path", keep="last")
    keep = []
    for layer, path in last[["layer", "path"]].itertuples(index=False):
        parts = path.split("/")
        ancestors = ("/".join(parts[:i]) for i in range(1, len(parts)))
        keep.append(removed.get(path, -1) <= layer
                    and not any(removed.get(a, -1) > layer or below.get(a, -1) > layer for a in ancestors))
    return last[pd.Series(keep, index=last.index, dtype=bool)].reset_index(drop=True)


def dir_sizes(files_df: pd.DataFrame, *, depth: int = 2) -> pd.DataFrame:
    """Sizes of the directories at `depth` in the image's final filesystem (columns dir, size, files).

    The final filesystem is `final_files`'s. Files above `depth` count for their own
    directory (``/`` for the top level).
    """
    if depth < 1:
        raise UsageError(f"depth={depth} must be 1 or more (1: /usr, 2: /usr/lib, ...).")
    rows: dict[str, list[int]] = {}
    final = final_files(files_df)
    for path, size in final.loc[final["type"] == "file", ["path", "size"]].itertuples(index=False):
        parts = path.split("/")
        key = "/" + "/".join(parts[: min(depth, len(parts) - 1)])
        entry = rows.setdefault(key, [0, 0])
        entry[0] += int(size)
        entry[1] += 1
    frame = pd.DataFrame([(d, s, n) for d, (s, n) in rows.items()], columns=["dir", "size", "files"])
    frame = frame.astype({"dir": "object", "size": "int64", "files": "int64"})
    return frame.sort_values(["size", "dir"], ascending=[False, True], ignore_index=True)
