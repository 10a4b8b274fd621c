"""An image's three sizes, and the one the lessons compare.

An image has one size on the classic image store and three on the containerd store:

- **unpacked**: the bytes of the files in its layers, what a container's file system holds.
  It is the same number on every engine, so the lessons compare images by it and divide it by
  the binary's size. The classic store reports it as the image's ``Size`` (the sum of its
  layers' file sizes, symlinks counted by the length of their target, hard links once); on
  the containerd store it is computed from the image's layers (`dockerlab.layers.files`).
- **compressed**: the layers as a registry stores them and a pull downloads them. The
  containerd store keeps them, and reports their total as ``Size``; the classic store keeps
  none (a push compresses the layers then), so it is ``None`` there.
- **disk**: what the engine's disk holds for the image: the unpacked layers on the classic
  store; the compressed blobs plus the unpacked snapshots on the containerd store (the figure
  ``docker images`` shows there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .engine import EngineInfo, connect

__all__ = ["ImageSizes", "image_sizes", "unpacked_size", "unpacked_bytes"]


@dataclass(frozen=True)
class ImageSizes:
    """The sizes of one image, in bytes, on the engine that holds it."""

    unpacked: int
    compressed: int | None  # None on the classic store, which keeps no compressed layers
    disk: int
    image_store: str  # "classic" or "containerd"


def unpacked_bytes(files_df: pd.DataFrame) -> int:
    """The unpacked size of the layers in a `layers.files()` table, counted as the classic store
    counts it: regular files by their size, symlinks by the length of their target."""
    regular = int(files_df.loc[files_df["type"] == "file", "size"].sum())
    links = int(files_df.loc[files_df["type"] == "symlink", "linkname"].str.len().sum())
    return regular + links


def unpacked_size(image: Any, *, client: Any = None, engine: EngineInfo | None = None) -> int:
    """The unpacked size of `image` (a name or an Image): read from the engine where it reports
    it, computed from the image's layers where it does not."""
    if client is None or engine is None:
        client, engine = connect()
    image = client.images.get(image) if isinstance(image, str) else image
    if engine.image_store == "classic":
        return int(image.attrs["Size"])
    from .layers import files  # the layers are read once per image id (layers.files keeps them)

    return unpacked_bytes(files(image))


def image_sizes(image: Any, *, client: Any = None, engine: EngineInfo | None = None) -> ImageSizes:
    """The three sizes of `image` (a name or an Image) on this engine."""
    if client is None or engine is None:
        client, engine = connect()
    image = client.images.get(image) if isinstance(image, str) else image
    reported = int(image.attrs["Size"])
    if engine.image_store == "classic":
        return ImageSizes(unpacked=reported, compressed=None, disk=reported, image_store="classic")
    listed = [entry for entry in client.api.images(all=True) if entry.get("Id") == image.id]
    disk = int(listed[0]["Size"]) if listed else reported
    return ImageSizes(unpacked=unpacked_size(image, client=client, engine=engine), compressed=reported,
                      disk=disk, image_store="containerd")
