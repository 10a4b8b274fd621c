"""How much an image hands to whoever gets into it, read from its layers and its configuration.

    result = scan("dockerlab/single-stage")    # a ScanResult
    table({"single-stage": result})            # one row per image, for a lesson

`scan` reads the image's layers in one pass (`layers.files`), keeps what a container would see
(`filetree.final_files`: later layers' removals applied), and answers from paths, types and
mode bits: does it run as root, is there a shell, a package manager, setuid or setgid files,
source code, files that look like secrets. The only files it opens are the package database
and the few files whose names look like secrets, read out of a created (never started)
container. `find_text` searches every byte of an image for a text, a secret say.
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import re
import tarfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import docker
import pandas as pd
import zstandard

from .feed import Feed
from .containers import read_files
from .engine import connect, get_image
from .filetree import final_files
from .layers import files

__all__ = ["ScanResult", "scan", "scan_files", "table", "find_text", "SHELLS", "PACKAGE_MANAGERS", "BIN_DIRS"]

BIN_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin")
"""Where a shell or a package manager would be found on the PATH."""
SHELLS = ("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "busybox")
PACKAGE_MANAGERS = ("apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper", "pacman")

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
    found = get_image(client, image)
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


def find_text(image: str, text: str, *, client: docker.DockerClient | None = None) -> tuple[str, ...]:
    """Every place `image` holds `text`: ``"config: Env"`` (a key of its configuration),
    ``"history: RUN ..."`` (a step's record), ``"layer 2: /path"`` (a file's name or content).

    The image is read as ``docker save`` writes it, every layer opened (gzip and zstd too) and
    every regular file's bytes searched: the proof that a secret is nowhere in an image.
    """
    client = client or connect()[0]
    found = get_image(client, image)
    needle, places, layer = text.encode(), [], 0
    with tarfile.open(fileobj=io.BufferedReader(Feed(found.save(chunk_size=1 << 20))), mode="r|") as outer:
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
