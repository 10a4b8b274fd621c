"""Removing what the tutorial made under the current prefix, and nothing else: the containers it
created, then its images, newest first. ``python -m dockerlab clean`` and the benchmarks use it."""

from __future__ import annotations

from dataclasses import dataclass

from docker.errors import APIError, NotFound

from . import naming
from .engine import connect

__all__ = ["Cleanup", "clean"]


@dataclass(frozen=True)
class Cleanup:
    """What `clean` did: how many containers and images it removed, and a note per image it kept."""

    removed: int
    notes: tuple[str, ...]


def clean(*, client=None, bases: bool = False, prune: bool = True) -> Cleanup:
    """Remove the containers the tutorial created under this prefix, then its images; never one a
    learner's own container uses (the note says how to free it). `bases` adds the Debian base
    stand-ins, unless another prefix's images build on them. ``prune=False`` removes the tags
    but not the untagged parent images (``noprune``), which a later build may take from the cache."""
    client = client or connect()[0]
    removed = 0
    for container in client.containers.list(all=True, filters=naming.container_filter()):
        container.remove(force=True)  # only the containers the tutorial itself created
        removed += 1
    images = client.images.list(filters=naming.label_filter())
    notes = []
    if bases:
        stand_ins = client.images.list(filters={"label": f"{naming.LABEL}.role=base"})
        others = _other_prefixes(client)
        if others:
            notes.append(f"kept the Debian base stand-ins: the images of {', '.join(sorted(others))} build on them")
        else:
            images += stand_ins
    for image in sorted(images, key=lambda i: i.attrs.get("Created", ""), reverse=True):
        users = client.containers.list(all=True, filters={"ancestor": image.id})
        if users:
            names = ", ".join(c.name for c in users)
            notes.append(f"kept {', '.join(image.tags) or image.short_id}: your container {names} uses it "
                         f"(remove it with docker rm {names}, then clean again)")
            continue
        try:
            for ref in image.tags or [image.id]:
                client.images.remove(ref, noprune=not prune)
            removed += 1
        except NotFound:
            removed += 1  # gone already: another clean, or removed with the tag before it
        except APIError as exc:
            notes.append(f"kept {', '.join(image.tags) or image.short_id}: {exc.explanation or exc}")
    return Cleanup(removed, tuple(notes))


def _other_prefixes(client) -> set[str]:
    """The prefixes, other than this one, whose tutorial images are on this engine."""
    found = set()
    for image in client.images.list(filters={"label": naming.LABEL}):
        value = (image.labels or {}).get(naming.LABEL, "")
        if value not in ("", "shared", naming.prefix()):
            found.add(value)
    return found
