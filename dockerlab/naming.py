"""Names and labels: how the tutorial marks what it makes, so that cleanup touches nothing else.

Every image and container gets the label ``dockerlab.tutorial=<prefix>`` and a name under the
prefix (``DOCKERLAB_PREFIX``, default ``dockerlab/``). Two learners sharing one engine use two
prefixes and never see, or remove, each other's images.
"""

from __future__ import annotations

import os
import re

__all__ = ["LABEL", "CONTAINER_LABEL", "prefix", "image_name", "labels", "label_filter", "container_labels",
           "container_filter"]

LABEL = "dockerlab.tutorial"
CONTAINER_LABEL = f"{LABEL}.container"
"""Set only on the containers the tutorial creates. A container inherits its image's labels, so
`LABEL` alone cannot tell the tutorial's containers from one a learner made from its images."""
_VALID_PREFIX = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*[/_-]?$")


def prefix() -> str:
    """The prefix from DOCKERLAB_PREFIX (default ``dockerlab/``), checked to make valid names."""
    value = os.environ.get("DOCKERLAB_PREFIX", "dockerlab/")
    if not _VALID_PREFIX.match(value):
        from .errors import DockerlabError

        raise DockerlabError(
            f"DOCKERLAB_PREFIX={value!r} cannot start an image name. Use lower-case letters, "
            "digits, '.', '_', '-' and '/', for example DOCKERLAB_PREFIX=alice/."
        )
    return value


def image_name(short: str) -> str:
    """``single-stage`` -> ``dockerlab/single-stage:latest`` (under the current prefix)."""
    repo, _, tag = short.partition(":")
    return f"{prefix()}{repo}:{tag or 'latest'}"


def labels(role: str, **extra: str) -> dict[str, str]:
    """The labels every tutorial object carries; `role` is ``base``, ``lesson`` or ``run``."""
    return {LABEL: prefix(), f"{LABEL}.role": role, **{f"{LABEL}.{k.replace('_', '-')}": v for k, v in extra.items()}}


def label_filter() -> dict[str, str]:
    """A Docker API filter that matches only what this prefix's tutorial made."""
    return {"label": f"{LABEL}={prefix()}"}


def container_labels() -> dict[str, str]:
    """The labels of a container the tutorial creates: its image's, plus a mark only it sets."""
    return {**labels("run"), CONTAINER_LABEL: prefix()}


def container_filter() -> dict[str, str]:
    """A Docker API filter that matches only the containers this prefix's tutorial created."""
    return {"label": f"{CONTAINER_LABEL}={prefix()}"}
