"""How much an image hands to whoever gets into it, read from its layers and its configuration.

    result = scan("dockerlab/single-stage")    # a ScanResult
    table({"single-stage": result})            # one row per image, for a lesson

`scan` reads the image's layers in one pass (`layers.files`), keeps what a container would see
(`filesystem.final_files`: later layers' removals applied), and answers from paths, types and
mode bits: does it run as root, is there a shell, a package manager, setuid or setgid files,
source code, files that look like secrets. The only files it opens are the package database
and the few files whose names look like secrets, read out of a created (never started)
container. `processes` asks the engine which user a running container's process really is;
`passwd_name` looks a uid up in an image's own /etc/passwd. `hadolint` runs the Dockerfile
linter when it is installed. `leaky_context` makes a build context holding a clearly fake
secret, for the leak demonstration.
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
import pandas as pd
from docker.errors import APIError, ImageNotFound as SDKImageNotFound

from . import naming
from .binary import read_files
from .build import CALCULATOR, DOCKERFILES, ROOT
from .engine import connect
from .errors import DockerlabError, ImageNotFound
from .filesystem import final_files
from .layers import files

__all__ = [
    "ScanResult", "scan", "scan_files", "table", "processes", "passwd_name", "hadolint", "hadolint_path",
    "leaky_context", "find_text", "FAKE_SECRET", "SHELLS", "PACKAGE_MANAGERS", "BIN_DIRS",
]

BIN_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin")
"""Where a shell or a package manager would be found on the PATH."""
SHELLS = ("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "busybox")
PACKAGE_MANAGERS = ("apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper", "pacman")

FAKE_SECRET = "API_TOKEN=fake-0000-not-a-real-token-dockerlab-demo"
"""The leak demonstration's secret: clearly fake, and the same on every run (so builds cache)."""

# Names that secrets are usually kept under (matched on the whole path, so .aws/credentials works).
_SECRET_NAMES = re.compile(
    r"(?:^|/)(?:\.env(?:\.[\w.-]+)?|[\w.-]+\.env|id_(?:rsa|dsa|ecdsa|ed25519)|[\w.-]+\.(?:pem|key|p12|pfx)"
    r"|\.netrc|\.npmrc|\.pypirc|\.git-credentials|\.aws/credentials|\.docker/config\.json|credentials\.json)$")
# What a secret looks like inside such a file: a private key, or NAME=value where NAME says so.
_SECRET_CONTENT = re.compile(
    rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
    rb"|^[ \t]*(?:export[ \t]+)?[A-Za-z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY)[A-Za-z0-9_]*[ \t]*[=:][ \t]*\S"
    rb"|\"auths?\"[ \t]*:|_authToken[ \t]*=|^machine[ \t].*\bpassword[ \t]",
    re.M | re.I)
_READ_LIMIT = 1 << 20  # candidate secret files bigger than this are not opened (nor reported)
_DPKG_STATUS = "var/lib/dpkg/status"
_DPKG_STATUS_D = "var/lib/dpkg/status.d"  # distroless images: one file per package
_APK_INSTALLED = "lib/apk/db/installed"


@dataclass(frozen=True)
class ScanResult:
    """What an image's final filesystem and configuration hold; paths start with ``/``."""

    image: str
    user: str  # the image's configured user (Config.User); "" means root
    shells: tuple[str, ...]
    package_managers: tuple[str, ...]
    packages: int  # installed packages in the package database (dpkg or apk); 0 without one
    setuid: tuple[str, ...]  # regular files with the setuid or setgid bit
    sources: tuple[str, ...]  # Go source files (*.go)
    secrets: tuple[str, ...]  # files named like secrets whose content looks like one
    files: int  # regular files
    size: int  # their bytes

    @property
    def runs_as_root(self) -> bool:
        """True when no user is set, or the user is 0 or root (by name or number)."""
        return self.user.split(":", 1)[0] in ("", "0", "root")

    def summary(self) -> dict[str, object]:
        """One row of `table()`."""
        return {
            "runs as root": "yes" if self.runs_as_root else f"no ({self.user})",
            "shell": ", ".join(posixpath.basename(p) for p in self.shells) or "none",
            "package manager": ", ".join(posixpath.basename(p) for p in self.package_managers) or "none",
            "packages": self.packages,
            "setuid/setgid files": len(self.setuid),
            "Go source files": len(self.sources),
            "secrets": len(self.secrets),
        }


def scan(image: str, *, client: docker.DockerClient | None = None) -> ScanResult:
    """Scan `image` (a name or id on the engine): see the module's docstring for what it checks."""
    client = client or connect()[0]
    try:
        found = client.images.get(image)
    except SDKImageNotFound:
        raise ImageNotFound(f"There is no image {image} on this engine. Build it first "
                            "(the lesson's build cell, or python -m dockerlab prepare).") from None
    user = str((found.attrs.get("Config") or {}).get("User") or "")
    return scan_files(files(found), user=user, image=image,
                      read=lambda paths: _read_files(found.id, paths, client=client))


def scan_files(files_df: pd.DataFrame, *, user: str = "", image: str = "",
               read: Callable[[list[str]], Mapping[str, bytes]] | None = None) -> ScanResult:
    """Scan a `layers.files()` table: the pure part of `scan`, which unit tests call directly.

    `read` gets the paths (no leading ``/``) of the few files whose content matters, the
    package database and the candidate secrets, and returns their bytes; without it, no
    package is counted and no secret is confirmed.
    """
    final = final_files(files_df)
    kinds = dict(zip(final["path"], final["type"]))
    present = final[final["type"].isin(["file", "symlink", "hardlink"])]
    regular = final[final["type"] == "file"]
    in_bin = present["path"].map(lambda p: posixpath.dirname(p) in BIN_DIRS)
    names = present["path"].map(posixpath.basename)
    shells = present.loc[in_bin & names.isin(SHELLS), "path"]
    managers = present.loc[in_bin & names.isin(PACKAGE_MANAGERS), "path"]
    special = regular.loc[(regular["mode"] & 0o6000) != 0, "path"] if "mode" in regular else regular["path"][:0]
    sources = regular.loc[regular["path"].str.endswith(".go"), "path"]
    candidates = regular.loc[regular["path"].str.contains(_SECRET_NAMES) & (regular["size"] <= _READ_LIMIT), "path"]

    wanted = [p for p in (_DPKG_STATUS, _APK_INSTALLED) if kinds.get(p) == "file"] + list(candidates)
    contents = dict(read(wanted)) if read and wanted else {}
    packages = _count_packages(contents)
    packages += int(final["path"].map(lambda p: posixpath.dirname(p) == _DPKG_STATUS_D).sum())
    secrets = [p for p in candidates if _SECRET_CONTENT.search(contents.get(p, b""))]

    def slash(paths: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted("/" + p for p in paths))

    return ScanResult(image=image, user=user, shells=slash(shells), package_managers=slash(managers),
                      packages=packages, setuid=slash(special), sources=slash(sources), secrets=slash(secrets),
                      files=len(regular), size=int(regular["size"].sum()))


def _count_packages(contents: Mapping[str, bytes]) -> int:
    """Installed packages in a dpkg status file and an apk database, from their text."""
    count = 0
    if _DPKG_STATUS in contents:  # stanzas separated by blank lines; only those installed count
        text = contents[_DPKG_STATUS].decode(errors="replace")
        count += sum(bool(re.search(r"^Status: install ok installed$", stanza, re.M))
                     for stanza in re.split(r"\n\s*\n", text))
    if _APK_INSTALLED in contents:
        count += len(re.findall(rb"^P:", contents[_APK_INSTALLED], re.M))
    return count


def _read_files(image: str, paths: list[str], *, client: docker.DockerClient) -> dict[str, bytes]:
    """The bytes of each path (no leading ``/``) in `image` that is a regular file there."""
    found = read_files(image, ["/" + path for path in paths], client=client)
    return {path[1:]: data for path, data in found.items()}


def table(results: Mapping[str, ScanResult]) -> pd.DataFrame:
    """One row per image (named by the mapping's keys), one column per question of the scan."""
    return pd.DataFrame.from_dict({name: r.summary() for name, r in results.items()}, orient="index")


def processes(image: str, *, read_only: bool = False, cap_drop: list[str] | None = None,
              client: docker.DockerClient | None = None) -> pd.DataFrame:
    """Start `image` (no network) with its standard input open, so that a program reading it waits,
    and ask the engine which processes run in it (``docker top``): columns uid, gid, command."""
    client = client or connect()[0]
    try:
        container = client.containers.create(image, stdin_open=True, network_disabled=True, read_only=read_only,
                                             cap_drop=cap_drop, labels=naming.container_labels())
    except SDKImageNotFound:
        raise ImageNotFound(f"There is no image {image} on this engine; build it first.") from None
    try:
        container.start()
        for _ in range(50):
            top = container.top(ps_args="-o pid,uid,gid,comm")
            if top.get("Processes"):
                break
            time.sleep(0.1)
        else:
            container.reload()
            raise DockerlabError(f"The container of {image} ran no process (its state: "
                                 f"{container.attrs['State']['Status']}); does its entrypoint wait for input?")
    except APIError as exc:
        raise DockerlabError(f"Could not start {image} or list its processes: {exc.explanation or exc}") from None
    finally:
        container.remove(force=True)
    frame = pd.DataFrame(top["Processes"], columns=[t.lower() for t in top["Titles"]])
    return frame.drop(columns="pid").rename(columns={"comm": "command"}).astype({"uid": "int64", "gid": "int64"})


def passwd_name(image: str, uid: int, *, client: docker.DockerClient | None = None) -> str | None:
    """The user name of `uid` in the image's own /etc/passwd; None when the file or the uid is absent."""
    client = client or connect()[0]
    try:
        image_id = client.images.get(image).id
    except SDKImageNotFound:
        raise ImageNotFound(f"There is no image {image} on this engine; build it first.") from None
    text = _read_files(image_id, ["etc/passwd"], client=client).get("etc/passwd")
    if text is None:
        return None
    for line in text.decode(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2] == str(uid):
            return fields[0]
    return None


def hadolint_path() -> str | None:
    """The hadolint executable (on PATH or beside this Python), or None when it is not installed."""
    beside = Path(sys.executable).parent / "hadolint"
    return shutil.which("hadolint") or (str(beside) if beside.is_file() else None)


def hadolint(variants: Iterable[str]) -> pd.DataFrame | None:
    """hadolint's findings for each variant's Dockerfile (columns variant, line, code, level,
    message), an empty table when there are none, or None when hadolint is not installed."""
    exe = hadolint_path()
    if exe is None:
        return None
    paths = {str(DOCKERFILES / v / "Dockerfile"): v for v in variants}
    proc = subprocess.run([exe, "--format", "json", "--no-fail", *paths], capture_output=True, text=True, cwd=ROOT)
    try:
        records = json.loads(proc.stdout or "[]")
    except ValueError:
        raise DockerlabError(f"hadolint ({exe}) did not answer in JSON (exit code {proc.returncode}): "
                             f"{(proc.stderr or proc.stdout).strip()[:300]}") from None
    rows = [{"variant": paths.get(r["file"], r["file"]), "line": r["line"], "code": r["code"],
             "level": r["level"], "message": r["message"]} for r in records]
    return pd.DataFrame(rows, columns=["variant", "line", "code", "level", "message"])


@contextmanager
def leaky_context(*, secret: str = FAKE_SECRET, name: str = ".env",
                  source: str | Path = CALCULATOR) -> Iterator[Path]:
    """A copy of `source` (calculator/) with a fake secret file `name` in it, in a temporary
    directory removed when the ``with`` block ends: the build context of the leak demonstration."""
    with tempfile.TemporaryDirectory(prefix="dockerlab-leak-") as tmp:
        context = Path(tmp) / Path(source).name
        # Like many projects, this one has no .dockerignore: it is what would have kept the secret out.
        shutil.copytree(source, context, ignore=shutil.ignore_patterns(".dockerignore"))
        (context / name).write_text(f"# A fake secret for dockerlab's leak demonstration: it opens nothing.\n{secret}\n")
        yield context


def find_text(image: str, text: str, *, client: docker.DockerClient | None = None) -> tuple[str, ...]:
    """Every place `image` holds `text`: ``"config: Env"`` (a key of its configuration),
    ``"history: RUN ..."`` (a step's record), ``"layer 2: /path"`` (a file's name or content).

    The image is read as ``docker save`` writes it, every layer opened (gzip and zstd too) and
    every regular file's bytes searched: the proof that a secret is nowhere in an image.
    """
    import gzip
    import io
    import tarfile

    import zstandard

    from .layers import _ChunkReader

    client = client or connect()[0]
    try:
        found = client.images.get(image)
    except SDKImageNotFound:
        raise ImageNotFound(f"There is no image {image} on this engine; build it first.") from None
    needle, places, layer = text.encode(), [], 0
    with tarfile.open(fileobj=io.BufferedReader(_ChunkReader(found.save(chunk_size=1 << 20))), mode="r|") as outer:
        for member in outer:
            if not member.isfile():
                continue
            data = outer.extractfile(member).read()  # type: ignore[union-attr]
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            elif data[:4] == b"\x28\xb5\x2f\xfd":
                data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
            if data[257:262] == b"ustar":  # a layer
                layer += 1
                with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                    for entry in tar:
                        content = tar.extractfile(entry).read() if entry.isfile() else b""  # type: ignore[union-attr]
                        if needle in content or needle in entry.name.encode():
                            places.append(f"layer {layer}: /{entry.name.lstrip('./')}")
            elif needle in data and data[:1] == b"{":
                config = json.loads(data)
                if "rootfs" not in config:
                    continue  # a manifest or an index: names and digests only
                places += [f"config: {key}" for key, value in (config.get("config") or {}).items() if text in json.dumps(value)]
                places += [f"history: {h.get('created_by', '')}" for h in config.get("history", []) if text in json.dumps(h)]
    return tuple(places)
