"""Workshop kits: every tutorial base and image on this engine in one archive, the Debian
packages the Dockerfiles install in a second one beside it, and back.

An instructor saves a kit where the network is good (``python -m dockerlab kit save FILE`` writes
FILE and FILE's ``.packages.tar``); learners load it where it is not, and `bases.resolve` looks in
it before it bootstraps. The packages are served to the room by ``kit serve`` (see `aptcache`).
"""

from __future__ import annotations

import os
from pathlib import Path

import docker
from docker.errors import APIError, DockerException

from . import aptcache, naming
from .dockerfiles import DOCKERFILES, ROOT, dockerfile_bases
from .engine import connect, first_line, has_image
from .errors import KitError
from .progress import Reporter, reporter as default_reporter
from .standin import standin_name

__all__ = ["KIT_DIR", "KIT_ENV", "find_kit", "packages_archive", "fill_packages", "kit_save", "kit_load"]

KIT_ENV = "DOCKERLAB_KIT"
KIT_DIR = ROOT / "kit"


def find_kit(kit: str | os.PathLike | None = None) -> list[Path]:
    """Kit archives to try: the one given, else $DOCKERLAB_KIT, else every *.tar in kit/."""
    if kit:
        return [Path(kit)]
    if os.environ.get(KIT_ENV):
        return [Path(os.environ[KIT_ENV])]
    return sorted(p for p in KIT_DIR.glob("*.tar") if not p.name.endswith(PACKAGES_SUFFIX)) if KIT_DIR.is_dir() else []


PACKAGES_SUFFIX = ".packages.tar"


def _bases_on(client: docker.DockerClient) -> list[str]:
    """The bases every Dockerfile names (lesson 08's Debian too), or their Debian stand-ins, that
    this engine has: each once."""
    named = sorted({base for path in DOCKERFILES.glob("*/Dockerfile") for base in dockerfile_bases(path).values()})
    found = [ref for base in named for ref in (base, standin_name(base)) if ref and has_image(client, ref)]
    return list(dict.fromkeys(found))


def packages_archive(kit: str | os.PathLike) -> Path:
    """The package cache that goes with kit archive `kit`: ``kit.tar`` -> ``kit.packages.tar``."""
    kit = Path(kit)
    return kit.with_name(kit.name.removesuffix(".tar") + PACKAGES_SUFFIX)


def fill_packages(client: docker.DockerClient, cache: Path | None = None, *, names: list[str] | None = None,
                  reporter: Reporter | None = None) -> int:
    """Download, through apt-cacher-ng into `cache`, every package the Dockerfiles install and what
    apt would install with them (recommendations too), once per tutorial base on this engine;
    return how many package files the cache holds."""
    bases = _bases_on(client)
    if not bases:
        raise KitError("There is no tutorial base on this engine to fetch packages for: "
                       "run python -m dockerlab prepare --bases first.")
    report = reporter or default_reporter()
    cache = Path(cache or aptcache.cache_dir())
    script = f"apt-get update -q && apt-get install -y -q --download-only {' '.join(names or aptcache.packages())}"
    with aptcache.serving(cache, offline=False) as url:
        for base in bases:
            report.status(f"Fetching the Dockerfiles' packages for {base} through {url} ...")
            container = client.containers.run(base, ["sh", "-c", script], environment={"http_proxy": url},
                                              network_mode="host", labels=naming.container_labels(), detach=True)
            try:
                code = int(container.wait(timeout=1800).get("StatusCode", -1))
                said = container.logs().decode(errors="replace").strip().splitlines()
            finally:
                container.remove(force=True)
            if code != 0:
                raise KitError(f"Could not fetch the packages for {base} (exit {code}): "
                               f"{said[-1] if said else 'no output'}. Connect to the internet and save the kit again.")
    report.done()
    return sum(1 for p in cache.rglob("*.deb"))


def kit_save(path: str | os.PathLike, *, client: docker.DockerClient | None = None,
             reporter: Reporter | None = None, packages: bool = True) -> list[str]:
    """Write every tutorial base (and image) on this engine into one archive and, with `packages`,
    the Dockerfiles' Debian packages into its `packages_archive`; return the image names."""
    client = client or connect()[0]
    names = _bases_on(client)
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
    if packages:
        try:
            fill_packages(client, reporter=report)
        except KitError as exc:
            raise KitError(f"The images are saved in {target}, but not the packages: {exc} "
                           "(python -m dockerlab kit save --no-packages saves the images only.)") from None
        try:
            aptcache.pack(aptcache.cache_dir(), packages_archive(target))
        except OSError as exc:
            raise KitError(f"Could not write {packages_archive(target)}: {exc}. Free some disk space or "
                           "choose another path.") from None
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
    if packages_archive(source).is_file():
        aptcache.unpack(packages_archive(source))
    return sorted(t for image in images for t in image.tags)
