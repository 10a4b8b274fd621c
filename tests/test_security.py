"""Tests of lesson 05's tools: `scan` on tables and archives built here, `find_text`, `lint`
(hadolint), the leak fixture of `lessons`, then on the real engine (the single-stage and
multi-stage images built from a context with a fake secret in it, and `containers.processes`)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from archives import docker_archive, tar_bytes

import dockerlab
from dockerlab import checks, containers, lessons, lint, naming, scan
from dockerlab.dockerfiles import CALCULATOR
from dockerlab.layers import files

COLUMNS = ["layer", "path", "size", "type", "mode", "uid", "gid", "linkname"]
DIR, FILE, EXE, SETUID, SETGID = 0o40755, 0o100644, 0o100755, 0o104755, 0o102755

KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
DPKG_STATUS = b"""Package: base-files
Status: install ok installed
Version: 12.4

Package: dash
Status: install ok installed
Version: 0.5.12

Package: old-thing
Status: deinstall ok config-files
Version: 1.0
"""


def table(rows: list[tuple]) -> pd.DataFrame:
    """A `layers.files()` table from (layer, path, size, type[, mode[, linkname]]) rows."""
    full = []
    for layer, path, size, kind, *rest in rows:
        mode = rest[0] if rest else {"dir": DIR, "file": FILE}.get(kind, 0o120777)
        full.append((layer, path, size, kind, mode, 0, 0, rest[1] if len(rest) > 1 else ""))
    return pd.DataFrame(full, columns=COLUMNS)


# A small Debian-like image: usr-merged (bin -> usr/bin), then a layer that takes some away.
DEBIAN_LIKE = table([
    (0, "bin", 0, "symlink", 0o120777, "usr/bin"),
    (0, "usr", 0, "dir"), (0, "usr/bin", 0, "dir"), (0, "usr/sbin", 0, "dir"),
    (0, "usr/bin/dash", 100, "file", EXE), (0, "usr/bin/sh", 0, "symlink", 0o120777, "dash"),
    (0, "usr/bin/bash", 900, "file", EXE),
    (0, "usr/bin/dpkg", 300, "file", EXE), (0, "usr/bin/apt-get", 200, "file", EXE),
    (0, "usr/bin/su", 50, "file", SETUID), (0, "usr/bin/chage", 40, "file", SETGID),
    (0, "usr/bin/ls", 60, "file", EXE),
    (0, "usr/share/doc/sh/README", 10, "file"),  # a name from SHELLS, but not on the PATH
    (0, "var/lib/dpkg/status", len(DPKG_STATUS), "file"),
    (0, "usr/lib/go/src/fmt/print.go", 30, "file"),
    (0, "usr/lib/go/src/crypto/testdata/example-key.pem", len(KEY), "file"),
    (0, "etc/ssl/certs/ca.pem", len(CERT), "file"),
    (0, "etc/ssl/certs/link.pem", 0, "symlink", 0o120777, "ca.pem"),
    (1, "usr/bin/.wh.bash", 0, "whiteout"),  # bash removed: only dash and sh are left
    (1, "src", 0, "dir"), (1, "src/main.go", 20, "file"), (1, "src/.env", 40, "file"),
    (1, "src/notes.env", 12, "file"),  # named like a secret, holds none
])
CONTENTS = {
    "var/lib/dpkg/status": DPKG_STATUS,
    "usr/lib/go/src/crypto/testdata/example-key.pem": KEY,
    "etc/ssl/certs/ca.pem": CERT,
    "src/.env": b"# for the demo\nAPI_TOKEN=fake-123\n",
    "src/notes.env": b"COLOR=blue\n",
}


def reader(contents: dict[str, bytes], asked: list[list[str]]):
    def read(paths: list[str]) -> dict[str, bytes]:
        asked.append(list(paths))
        return {p: contents[p] for p in paths if p in contents}
    return read


def test_scan_of_a_debian_like_table():
    asked: list[list[str]] = []
    result = scan.scan_files(DEBIAN_LIKE, user="", image="fixture", read=reader(CONTENTS, asked))
    assert result.runs_as_root
    assert result.shells == ("/usr/bin/dash", "/usr/bin/sh")  # bash was whited out
    assert result.package_managers == ("/usr/bin/apt-get", "/usr/bin/dpkg")
    assert result.packages == 2  # the config-files stanza is not installed
    assert result.setuid == ("/usr/bin/chage", "/usr/bin/su")
    assert result.sources == ("/src/main.go", "/usr/lib/go/src/fmt/print.go")
    assert result.secrets == ("/src/.env", "/usr/lib/go/src/crypto/testdata/example-key.pem")
    # one read: the package database and the regular files named like secrets, never a symlink
    assert len(asked) == 1 and sorted(asked[0]) == sorted(CONTENTS)
    assert result.files == 14 and result.size == int(DEBIAN_LIKE.query("layer == 0 and type == 'file'")["size"].sum()) - 900 + 72


def test_scan_without_a_reader_counts_no_package_and_confirms_no_secret():
    result = scan.scan_files(DEBIAN_LIKE, user="65532:65532")
    assert not result.runs_as_root
    assert result.packages == 0 and result.secrets == ()
    assert result.shells  # what the paths alone say is still there


def test_scan_of_a_one_file_image_reads_nothing():
    asked: list[list[str]] = []
    result = scan.scan_files(table([(0, "calc", 1000, "file", EXE)]), read=reader({}, asked))
    assert asked == []
    assert (result.shells, result.package_managers, result.packages, result.setuid, result.sources,
            result.secrets) == ((), (), 0, (), (), ())
    assert (result.files, result.size) == (1, 1000)


def test_opaque_directory_and_replaced_directory_hide_what_was_below():
    frame = table([
        (0, "usr/bin/sh", 10, "file", EXE), (0, "opt/tool/bin/bash", 10, "file", EXE),
        (0, "src/a.go", 5, "file"),
        (1, "usr/bin/.wh..wh..opq", 0, "opaque"), (1, "usr/bin/calc", 10, "file", EXE),
        (1, "src", 0, "symlink", 0o120777, "/elsewhere"),
    ])
    result = scan.scan_files(frame)
    assert result.shells == () and result.sources == ()


def test_distroless_status_d_and_apk_databases_count_packages():
    frame = table([
        (0, "var/lib/dpkg/status.d", 0, "dir"),
        (0, "var/lib/dpkg/status.d/base", 10, "file"), (0, "var/lib/dpkg/status.d/tzdata", 10, "file"),
        (0, "lib/apk/db/installed", 30, "file"), (0, "bin/busybox", 10, "file", EXE),
        (0, "sbin/apk", 10, "file", EXE),
    ])
    apk = b"P:musl\nV:1.2\n\nP:busybox\nV:1.36\n\nP:apk-tools\nV:2.14\n"
    result = scan.scan_files(frame, read=reader({"lib/apk/db/installed": apk}, []))
    assert result.packages == 2 + 3
    assert result.shells == ("/bin/busybox",) and result.package_managers == ("/sbin/apk",)


@pytest.mark.parametrize("user, root", [
    ("", True), ("0", True), ("root", True), ("0:0", True), ("root:root", True),
    ("65532", False), ("65532:65532", False), ("nonroot", False), ("1000:0", False),
])
def test_runs_as_root(user, root):
    assert scan.scan_files(table([(0, "calc", 1, "file")]), user=user).runs_as_root is root


@pytest.mark.parametrize("name, content, secret", [
    (".env", b"API_TOKEN=abc\n", True),
    (".env", b"export DB_PASSWORD = hunter2\n", True),
    (".env", b"# API_TOKEN= (set me)\nDEBUG=1\n", False),
    ("prod.env", b"aws_secret_access_key=xyz\n", True),
    ("server.key", KEY, True),
    ("ca.pem", CERT, False),
    (".npmrc", b"//registry.npmjs.org/:_authToken=npm_abc\n", True),
    (".docker/config.json", b'{"auths": {"r.example": {"auth": "eDp5"}}}', True),
    (".netrc", b"machine example.com login me password pw\n", True),
    ("config.json", b'{"auths": {}}', False),  # not a name secrets are kept under
])
def test_secret_names_and_contents(name, content, secret):
    frame = table([(0, f"home/me/{name}", len(content), "file")])
    result = scan.scan_files(frame, read=reader({f"home/me/{name}": content}, []))
    assert result.secrets == ((f"/home/me/{name}",) if secret else ())


def test_scan_from_an_archive_built_here(tmp_path: Path):
    """The whole pure path: a saved image (two layers, a whiteout) -> files() -> scan_files()."""
    layers = [
        tar_bytes([("dir", "bin/"), ("file", "bin/sh", b"#!", 0o755), ("file", "bin/su", b"su", 0o4755),
                   ("dir", "app/"), ("file", "app/main.go", b"package main")]),
        tar_bytes([("dir", "bin/"), ("file", "bin/.wh.sh"), ("dir", "app/"), ("file", "app/.env", b"X", 0o600)]),
    ]
    archive = docker_archive(tmp_path / "image.tar", layers, run={"User": ""})
    result = scan.scan_files(files(archive), read=reader({"app/.env": b"TOKEN=1\n"}, []))
    assert result.shells == ()
    assert result.setuid == ("/bin/su",)
    assert result.sources == ("/app/main.go",)
    assert result.secrets == ("/app/.env",)


def test_find_text_names_every_place_of_a_saved_image(tmp_path: Path):
    """A layer's file content and name, a configuration key and a history record; gzip layers too."""
    token = "fake-0000-token"
    layers = [tar_bytes([("dir", "app/"), ("file", "app/.env", f"API_TOKEN={token}\n".encode(), 0o600)]),
              gzip.compress(tar_bytes([("file", f"app/{token}.txt"), ("file", "app/other", b"nothing")]))]
    archive = docker_archive(tmp_path / "image.tar", layers, run={"Env": [f"TOKEN={token}"], "User": ""},
                             history=[{"created_by": f"RUN echo {token}"}, {"created_by": "COPY . ."}]).read_bytes()
    image = SimpleNamespace(save=lambda chunk_size: (archive[i:i + 1000] for i in range(0, len(archive), 1000)))
    client = SimpleNamespace(images=SimpleNamespace(get=lambda name: image))
    assert scan.find_text("fixture", token, client=client) == (
        "layer 1: /app/.env", f"layer 2: /app/{token}.txt", "config: Env", f"history: RUN echo {token}")
    assert scan.find_text("fixture", "not-in-it", client=client) == ()


def test_table_has_one_row_per_image_and_a_column_per_question():
    results = {"a": scan.scan_files(DEBIAN_LIKE, read=reader(CONTENTS, [])),
               "b": scan.scan_files(table([(0, "calc", 1, "file")]), user="65532:65532")}
    frame = scan.table(results)
    assert list(frame.index) == ["a", "b"]
    assert list(frame.columns) == ["runs as root", "shell", "package manager", "packages",
                                   "setuid/setgid files", "Go source files", "secrets"]
    assert frame.loc["a"].tolist() == ["yes", "dash, sh", "apt-get, dpkg", 2, 2, 2, 2]
    assert frame.loc["b"].tolist() == ["no (65532:65532)", "none", "none", 0, 0, 0, 0]


def test_leaky_context_is_a_copy_with_a_fake_secret_and_goes_away():
    with lessons.leaky_context() as context:
        assert (context / "main.go").read_text() == (CALCULATOR / "main.go").read_text()
        text = (context / ".env").read_text()
        assert lessons.FAKE_SECRET in text and "fake" in text
        assert not (CALCULATOR / ".env").exists()
    assert not context.exists()


def test_hadolint_missing_is_none(monkeypatch, tmp_path):
    monkeypatch.setattr(lint.shutil, "which", lambda name: None)
    monkeypatch.setattr(lint.sys, "executable", str(tmp_path / "python"))
    assert lint.hadolint_path() is None
    assert lint.hadolint(["single-stage"]) is None


def test_hadolint_findings_old_kept_new_clean():
    if lint.hadolint_path() is None:
        pytest.skip("hadolint is not installed (requirements-dev.txt installs it)")
    findings = lint.hadolint(["single-stage", "stripped", "nonroot", "distroless", "test-stage"])
    assert list(findings.columns) == ["variant", "line", "code", "level", "message"]
    assert set(findings.loc[findings["variant"] == "single-stage", "code"]) == {"DL3008", "DL3009", "DL3015"}
    assert set(findings["variant"]) == {"single-stage"}  # this lesson's Dockerfiles have none


# --- the real engine ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def leak(engine, remove_images):
    """The single-stage and multi-stage images built from a context with a fake .env, scanned,
    under a prefix of their own; removed afterwards."""
    client, _ = engine
    with pytest.MonkeyPatch.context() as patch:  # the prefix only while building: later tests use the session's
        patch.setenv("DOCKERLAB_PREFIX", f"dockerlab-test-{os.getpid()}-security/")
        with lessons.leaky_context() as context:
            single = dockerlab.build("single-stage", context=context, tag=dockerlab.image_name("leak-single"))
            multi = dockerlab.build("multi-stage", context=context, tag=dockerlab.image_name("leak-multi"))
        made = naming.label_filter()  # the two images and their stages' images
    try:
        yield {"single": (single.tag, scan.scan(single.tag)), "multi": (multi.tag, scan.scan(multi.tag))}
    finally:
        remove_images([image.id for image in client.images.list(filters=made)])


def test_the_secret_leaks_into_single_stage_not_multi_stage(leak):
    assert "/src/.env" in leak["single"][1].secrets
    assert leak["multi"][1].secrets == ()


def test_single_stage_hands_over_root_a_shell_and_a_package_manager(leak):
    result = leak["single"][1]
    assert result.runs_as_root
    assert "/usr/bin/sh" in result.shells
    assert {"/usr/bin/apt-get", "/usr/bin/dpkg"} <= set(result.package_managers)
    assert result.packages > 50
    assert "/usr/bin/su" in result.setuid
    assert "/src/main.go" in result.sources


def test_multi_stage_holds_only_the_binary(leak):
    result = leak["multi"][1]
    assert result.runs_as_root  # no USER line: the one thing multi-stage does not change
    assert (result.shells, result.package_managers, result.packages, result.setuid, result.sources) == ((), (), 0, (), ())
    assert result.files == 1


def test_check_secret_gone_names_the_file_and_the_fix(leak):
    feedback = checks.check_secret_gone(leak["single"][0])
    assert not feedback.ok
    assert any("/src/.env" in line and ".dockerignore" in line for line in feedback.lines)
    feedback = checks.check_secret_gone(leak["multi"][0])  # no secret, but not built from the context either
    assert not feedback.ok and any("no source in /src" in line for line in feedback.lines)
    assert not checks.check_secret_gone("dockerlab-test/no-such-image:never").ok
    assert not checks.check_secret_gone("").ok


def test_nonroot_runs_as_65532_and_has_no_user_name(engine):
    nonroot = dockerlab.build("nonroot")
    assert not scan.scan(nonroot.tag).runs_as_root
    processes = containers.processes(nonroot.tag, read_only=True, cap_drop=["ALL"])
    assert processes[["uid", "gid", "command"]].values.tolist() == [[65532, 65532, "calc"]]
    assert containers.passwd_name(nonroot.tag, 65532) is None


def test_distroless_names_the_user_and_holds_no_shell(engine):
    distroless = dockerlab.build("distroless")
    assert containers.passwd_name(distroless.tag, 65532) == "nonroot"
    result = scan.scan(distroless.tag)
    assert not result.runs_as_root and result.shells == () and result.package_managers == ()
    assert containers.processes(distroless.tag)["uid"].tolist() == [65532]
