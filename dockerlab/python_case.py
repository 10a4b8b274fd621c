"""The Python case (lesson 08): the calculator in pycalc/, its dependency's source, and its images' parts.

    sources = fetch_sources()                        # MarkupSafe's sdist, fetched on the host
    multi = dockerlab.build("python-multi-stage", context=PYCALC)
    loaded_modules(multi.tag, ["--html", "1+2"])     # what one run of the app imports, from where
    parts(layers.files(image))                       # bytes per part: interpreter, standard library, ...

The app's dependency is built from its source distribution in the images' build stage, and that
build has no package index: `fetch_sources` downloads the sdist, and the wheels its build needs
(setuptools), with the host's own pip and its settings (index, proxy, certificates) into
``pycalc/wheelhouse/``, the build context's folder that ``pip install --no-index`` reads. What is
already there (from an earlier run, or copied from a workshop kit) is not fetched again.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .dockerfiles import ROOT
from .containers import run
from .errors import DockerlabError
from .filetree import final_files

__all__ = ["PYCALC", "WHEELHOUSE", "REQUIREMENTS", "VARIANTS", "Sources", "fetch_sources", "build_requires",
           "sdist_files", "loaded_modules", "parse_verbose", "part_of", "parts", "PARTS"]

PYCALC = ROOT / "pycalc"
WHEELHOUSE = PYCALC / "wheelhouse"
REQUIREMENTS = PYCALC / "requirements.txt"
VARIANTS = ("python-single-stage", "python-scratch", "python-multi-stage", "python-distroless")
PARTS = ("interpreter", "standard library", "shared libraries", "dependency (venv)", "app", "everything else")
"""The parts of a Python image, in the order the lesson's tables and plots show them."""

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def _normal(name: str) -> str:
    """A project name as file names spell it (PEP 503 and 625): ``MarkupSafe`` -> ``markupsafe``."""
    return re.sub(r"[-_.]+", "_", name).lower()


@dataclass(frozen=True)
class Sources:
    """What the wheelhouse holds for the build, and which path served it."""

    wheelhouse: Path
    files: tuple[str, ...]  # every file the build reads there, sdists first
    downloaded: tuple[str, ...]  # those that pip downloaded in this call; () when all were there
    commands: tuple[tuple[str, ...], ...] = ()  # the pip commands run

    @property
    def source(self) -> str:
        """``"pip download"`` when anything was fetched in this call, else ``"wheelhouse"``."""
        return "pip download" if self.downloaded else "wheelhouse"

    def describe(self) -> str:
        """One sentence for a learner: which path served."""
        where = f"{self.wheelhouse.relative_to(ROOT)}/" if self.wheelhouse.is_relative_to(ROOT) else str(self.wheelhouse)
        if self.downloaded:
            return (f"The host's pip downloaded {', '.join(self.downloaded)} into {where} (through its own settings: "
                    "`pip config list` shows them).")
        return f"{where} already held {', '.join(self.files)} (from an earlier run or a workshop kit): nothing was fetched."


def _requirements(path: Path) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines() if line.split("#", 1)[0].strip()]


def _find(wheelhouse: Path, requirement: str, *, sdist: bool) -> Path | None:
    """A file in `wheelhouse` for `requirement` (``name==version`` pins the version): an sdist
    (``name-version.tar.gz``) or a wheel (``name-version-...whl``)."""
    name, spec = _REQUIREMENT.match(requirement).groups()  # type: ignore[union-attr]
    version = spec[2:].strip() if spec.startswith("==") else None
    for path in sorted(wheelhouse.iterdir()) if wheelhouse.is_dir() else []:
        stem = path.name.removesuffix(".tar.gz") if sdist else path.name.removesuffix(".whl")
        if stem == path.name:
            continue
        got_name, _, rest = stem.partition("-")
        got_version = rest.split("-", 1)[0]
        if _normal(got_name) == _normal(name) and (version is None or got_version == version):
            return path
    return None


def build_requires(sdist: Path) -> list[str]:
    """What building `sdist` needs (its pyproject.toml's ``[build-system] requires``, or PEP 518's
    default, setuptools and wheel, when it has none)."""
    with tarfile.open(sdist) as tar:
        member = next((m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")), None)
        if member is None:
            return ["setuptools>=40.8.0", "wheel"]
        config = tomllib.loads(tar.extractfile(member).read().decode())  # type: ignore[union-attr]
    return list(config.get("build-system", {}).get("requires", ["setuptools>=40.8.0", "wheel"]))


def sdist_files(sdist: Path, *, suffix: str = "") -> list[str]:
    """The paths inside `sdist` (without its top folder) that end with `suffix`: ``.c`` for its C sources."""
    with tarfile.open(sdist) as tar:
        return sorted(m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile() and m.name.endswith(suffix))


def _pip_download(python: str, wheelhouse: Path, requirement: str, *flags: str, timeout: int) -> tuple[tuple[str, ...], list[str]]:
    command = (python, "-m", "pip", "download", "--no-deps", "--dest", str(wheelhouse), *flags, requirement)
    before = {p.name for p in wheelhouse.iterdir()}
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc = None
    if proc is None or proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:]) if proc else f"(no answer within {timeout} s)"
        raise DockerlabError(
            f"pip could not download {requirement} into {wheelhouse}:\n{tail}\n"
            "Connect to the internet, or check the host's pip settings (`pip config list`: index, proxy, "
            f"certificates); or copy the file from a workshop kit into {wheelhouse} and run again.")
    return command, sorted({p.name for p in wheelhouse.iterdir()} - before)


def fetch_sources(*, requirements: Path = REQUIREMENTS, wheelhouse: Path = WHEELHOUSE,
                  python: str = sys.executable, timeout: int = 600) -> Sources:
    """Make sure `wheelhouse` holds the sdist of each pinned requirement and a wheel of each of
    their build requirements, downloading what is missing with the host's pip; see the module."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    downloaded: list[str] = []
    commands: list[tuple[str, ...]] = []
    needs: list[str] = []
    for requirement in _requirements(requirements):
        sdist = _find(wheelhouse, requirement, sdist=True)
        if sdist is None:
            command, new = _pip_download(python, wheelhouse, requirement, "--no-binary", ":all:", timeout=timeout)
            commands.append(command)
            downloaded += new
            sdist = _find(wheelhouse, requirement, sdist=True)
            if sdist is None:
                raise DockerlabError(f"pip ran, but {wheelhouse} holds no source distribution of {requirement} "
                                     f"(it saved {', '.join(new) or 'nothing'}).")
        files.append(sdist)
        needs += [r for r in build_requires(sdist) if r not in needs]
    for requirement in needs:  # wheels: they are only run by the build, never shipped
        wheel = _find(wheelhouse, _REQUIREMENT.match(requirement).group(1), sdist=False)  # type: ignore[union-attr]
        if wheel is None:
            command, new = _pip_download(python, wheelhouse, requirement, "--only-binary", ":all:", timeout=timeout)
            commands.append(command)
            downloaded += new
            wheel = _find(wheelhouse, _REQUIREMENT.match(requirement).group(1), sdist=False)  # type: ignore[union-attr]
            if wheel is None:
                raise DockerlabError(f"pip ran, but {wheelhouse} holds no wheel of {requirement}.")
        files.append(wheel)
    return Sources(wheelhouse=wheelhouse, files=tuple(p.name for p in files), downloaded=tuple(downloaded),
                   commands=tuple(commands))


# --- what a run of the app loads ---------------------------------------------------------------

_SOURCE = re.compile(r"^# (?:\S+ matches (\S+\.py)|code object from '?([^']+\.py)'?)$")  # cached or compiled
_EXTENSION = re.compile(r"^# extension module '([^']+)' loaded from '([^']+)'$")
_INSIDE = re.compile(r"^import '([^']+)' # <class '_frozen_importlib\.(BuiltinImporter|FrozenImporter)'>$")
_ROOTS = re.compile(r"^/(?:venv/lib/python3\.\d+/site-packages|app|usr/(?:local/)?lib/python3\.\d+(?:/lib-dynload)?)/")


def parse_verbose(stderr: str) -> pd.DataFrame:
    """The modules that ``python -v`` reports importing, in the order it starts them: columns
    module, kind (built in or frozen: inside the interpreter's binary; source or extension: a
    file), path ("" inside the binary) and where (interpreter, standard library, venv, app)."""
    rows, seen = [], set()
    for line in stderr.splitlines():
        if m := _SOURCE.match(line):
            path, kind = m.group(1) or m.group(2), "source"
            name = _ROOTS.sub("", path).removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        elif m := _EXTENSION.match(line):
            name, path, kind = m.group(1), m.group(2), "extension"
        elif m := _INSIDE.match(line):
            name, path, kind = m.group(1), "", "built in" if m.group(2) == "BuiltinImporter" else "frozen"
        else:
            continue
        if name not in seen:
            seen.add(name)
            rows.append({"module": name, "kind": kind, "path": path, "where": _where(path)})
    return pd.DataFrame(rows, columns=["module", "kind", "path", "where"])


def _where(path: str) -> str:
    if not path:
        return "interpreter"
    if path.startswith("/venv/"):
        return "venv"
    if path.startswith("/app/"):
        return "app"
    return "standard library" if re.match(r"^/usr/(local/)?lib/python3\.\d+/", path) else "elsewhere"


def loaded_modules(image: str, args: list[str], *, client=None) -> pd.DataFrame:
    """Run the app in `image` once with `args` under ``python -v``; the modules it imported
    (see `parse_verbose`). The image's entrypoint is the venv's python and /app/main.py."""
    result = run(image, "-v", "/app/main.py", *args, entrypoint=["/venv/bin/python"], client=client)
    frame = parse_verbose(result.stderr)
    if frame.empty:
        raise DockerlabError(f"python -v in {image} reported no import (exit code {result.exit_code}): "
                             f"{result.stderr.strip()[:300]}")
    return frame


# --- what an image is made of ------------------------------------------------------------------

def part_of(path: str) -> str:
    """The part of a Python image that `path` (no leading /) belongs to: one of `PARTS`."""
    if path.startswith("app/"):
        return "app"
    if path.startswith("venv/"):
        return "dependency (venv)"
    if re.match(r"^usr/(local/)?bin/python3(\.\d+)?$", path):
        return "interpreter"
    if re.match(r"^usr/(local/)?lib/python3\.\d+/", path):
        return "standard library"
    if re.match(r"^(usr/)?lib(32|64|x32)?/(.+/)?[^/]+\.so(\.[\d.]+)?$", path):
        return "shared libraries"
    return "everything else"


def parts(files_df: pd.DataFrame) -> pd.DataFrame:
    """Bytes and files per part (`PARTS`) of an image's final filesystem, from a `layers.files()`
    table: columns part, files, size. Regular files count their size, symbolic links the length of
    their target (as the engine counts them)."""
    final = final_files(files_df)
    kept = final[final["type"].isin(["file", "symlink"])]
    sizes = kept["size"].where(kept["type"] == "file", kept["linkname"].str.len()).astype("int64")
    frame = pd.DataFrame({"part": kept["path"].map(part_of), "size": sizes})
    table = frame.groupby("part")["size"].agg(files="count", size="sum").reindex(list(PARTS), fill_value=0)
    return table.reset_index().astype({"files": "int64", "size": "int64"})
