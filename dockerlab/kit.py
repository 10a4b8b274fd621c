"""Workshop kits: every tutorial base and image on this engine in one archive, and back.

An instructor saves a kit where the network is good (``python -m dockerlab kit save FILE``);
learners load it where it is not, and `bases.resolve` looks in it before it bootstraps.
"""

from __future__ import annotations

import os
from pathlib import Path

import docker
from docker.errors import APIError, DockerException

from . import naming
from .dockerfiles import ROOT, TUTORIAL_BASES
from .engine import connect, first_line, has_image
from .errors import KitError
from .progress import Reporter, reporter as default_reporter
from .standin import standin_name

__all__ = ["KIT_DIR", "KIT_ENV", "find_kit", "kit_save", "kit_load"]

KIT_ENV = "DOCKERLAB_KIT"
KIT_DIR = ROOT / "kit"


def find_kit(kit: str | os.PathLike | None = None) -> list[Path]:
    """Kit archives to try: the one given, else $DOCKERLAB_KIT, else every *.tar in kit/."""
    if kit:
        return [Path(kit)]
    if os.environ.get(KIT_ENV):
        return [Path(os.environ[KIT_ENV])]
    return sorted(KIT_DIR.glob("*.tar")) if KIT_DIR.is_dir() else []


def kit_save(path: str | os.PathLike, *, client: docker.DockerClient | None = None,
             reporter: Reporter | None = None) -> list[str]:
    """Write every tutorial base (and image) on this engine into one archive; return the names."""
    client = client or connect()[0]
    names = [ref for b in TUTORIAL_BASES for ref in (b, standin_name(b)) if ref and has_image(client, ref)]
    names += sorted(t for image in client.images.list(filters=naming.label_filter()) for t in image.tags)
    if not names:
        raise KitError("There is nothing to put in a kit yet: run python -m dockerlab prepare first.")
    report = reporter or default_reporter()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        url = client.api._url("/images/get")  # the Engine API's multi-image save
        response = client.api._get(url, params={"names": names}, stream=True)
        client.api._raise_for_status(response)
        written = 0
        with open(partial, "wb") as out:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
                written += len(chunk)
                report.status(f"Saving {len(names)} images to {target}: {written / 1e6:.0f} MB")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise KitError(f"Could not write the kit {target}: {exc}. Free some disk space or choose another path.") from None
    except (APIError, DockerException) as exc:  # an image removed since it was listed, an engine that stopped
        partial.unlink(missing_ok=True)
        raise KitError(f"The engine could not save {', '.join(names)}: {first_line(getattr(exc, 'explanation', None) or exc)}. "
                       "Run python -m dockerlab prepare, then save the kit again.") from None
    finally:
        report.done()
    return names


def kit_load(path: str | os.PathLike, *, client: docker.DockerClient | None = None) -> list[str]:
    """Load a kit archive into the engine; return the image names it held."""
    client = client or connect()[0]
    source = Path(path)
    if not source.is_file():
        raise KitError(f"No kit archive at {source}. Check the path, or ask your instructor for the kit file.")
    try:
        with open(source, "rb") as f:
            images = client.images.load(f)
    except (APIError, DockerException) as exc:
        raise KitError(f"{source} is not an image archive the engine can load: {first_line(exc)}") from None
    return sorted(t for image in images for t in image.tags)
