"""Why a file of a Debian image is there: the package that installed it (``dpkg -S``), and the
shortest chain of Depends and Recommends from the package a Dockerfile asked for to that one, read
from dpkg's status file. That chain is what ``aptitude why`` answers, and a minimal Debian image
does not carry aptitude."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

import docker
import pandas as pd

from .containers import read_file, run
from .engine import first_line
from .errors import DockerlabError

__all__ = ["Package", "parse_status", "installed", "chain", "owners", "why"]

STATUS = "/var/lib/dpkg/status"
RELATIONS = ("Pre-Depends", "Depends", "Recommends")  # what apt installs by default


@dataclass(frozen=True)
class Package:
    """An installed package: its name and, per relation, the alternatives of each of its entries."""

    name: str
    relations: dict[str, tuple[tuple[str, ...], ...]]
    provides: tuple[str, ...] = ()


def parse_status(text: str) -> dict[str, Package]:
    """The installed packages of a dpkg status file (``Status: install ok installed``), by name."""
    found = {}
    for stanza in re.split(r"\n\s*\n", text):
        fields = _fields(stanza)
        if not fields.get("Package") or not fields.get("Status", "").endswith(" installed"):
            continue
        relations = {key: tuple(tuple(_name(alt) for alt in entry.split("|")) for entry in _entries(fields.get(key, "")))
                     for key in RELATIONS}
        provides = tuple(_name(entry) for entry in _entries(fields.get("Provides", "")))
        found[fields["Package"]] = Package(fields["Package"], relations, provides)
    return found


def chain(installed: dict[str, Package], start: str, target: str) -> list[tuple[str, str, str]]:
    """The fewest steps from `start` to `target` through installed packages: a list of
    (package, relation, package it pulls in). Empty when `start` is `target`; DockerlabError when
    no chain of these relations leads there."""
    for name in (start, target):
        if name not in installed:
            raise DockerlabError(f"{name} is not installed in this image: dpkg's status file does not list it.")
    providers: dict[str, list[str]] = {}
    for package in installed.values():
        for name in (package.name, *package.provides):
            providers.setdefault(name, []).append(package.name)
    came_from: dict[str, tuple[str, str] | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == target:
            break
        for relation in RELATIONS:
            for entry in installed[current].relations[relation]:
                for alternative in entry:
                    for name in providers.get(alternative, ()):
                        if name not in came_from:
                            came_from[name] = (current, relation)
                            queue.append(name)
    if target not in came_from:
        raise DockerlabError(f"No chain of {', '.join(RELATIONS)} leads from {start} to {target}: "
                             "it was installed some other way (asked for by name, or by a script).")
    steps, name = [], target
    while came_from[name] is not None:
        parent, relation = came_from[name]
        steps.append((parent, relation.lower(), name))
        name = parent
    return steps[::-1]


def installed(image: str, *, client: docker.DockerClient | None = None) -> dict[str, Package]:
    """The packages installed in `image`, read from its dpkg status file without running anything."""
    return parse_status(read_file(image, STATUS, client=client).decode(errors="replace"))


def owners(image: str, paths: list[str], *, client: docker.DockerClient | None = None) -> dict[str, str]:
    """The package that installed each of `paths` in `image`, by path (``dpkg -S``, one run in the
    image). A path no package owns is left out."""
    result = run(image, "-S", *paths, entrypoint=["dpkg"], client=client)
    found = {}
    for line in result.stdout.splitlines():  # "pkg[, pkg...]: /path"; "diversion by ..." lines too
        names, sep, path = line.partition(": ")
        if sep and path in paths and not names.startswith("diversion "):
            found.setdefault(path, _name(names.split(",")[0]))  # "libx265-199:amd64" -> "libx265-199"
    if not found and paths:
        raise DockerlabError(f"dpkg -S found no package for any of {len(paths)} paths in {image}: "
                             f"{first_line(result.stderr or result.stdout or 'no output')}")
    return found


def why(image: str, paths: list[str], *, start: str = "golang-go",
        client: docker.DockerClient | None = None) -> pd.DataFrame:
    """Why each of `paths` is in `image`: the package that installed it, the chain of relations from
    `start` to that package, and the packages in the chain that only recommended the next one."""
    packages, owned = installed(image, client=client), owners(image, paths, client=client)
    rows = []
    for path in paths:
        package, steps, route = owned.get(path), [], ""
        if package:
            try:
                steps = chain(packages, start, package)
                route = " → ".join([start, *(pulled for _, _, pulled in steps)])
            except DockerlabError:
                route = f"(not pulled in by {start})"
        rows.append({"path": path, "package": package or "(no package)", "chain": route,
                     "recommended by": ", ".join(p for p, relation, _ in steps if relation == "recommends")})
    return pd.DataFrame(rows, columns=["path", "package", "chain", "recommended by"])


def _fields(stanza: str) -> dict[str, str]:
    fields, key = {}, None
    for line in stanza.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def _entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


def _name(alternative: str) -> str:
    """``libc6 (>= 2.34)`` -> ``libc6``; ``python3:any`` -> ``python3``."""
    return alternative.strip().split(" ", 1)[0].split("(", 1)[0].split(":", 1)[0]
