"""Tests of dockerlab.layers, filetree and history on archives built here, on dive's own archives, and against dive itself."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pandas as pd
import pytest
from archives import SavedImage, docker_archive, oci_archive, tar_bytes, write_tar

from dockerlab import archive, oci
from dockerlab.errors import ArchiveError, ImageNotFound
from dockerlab.filetree import efficiency
from dockerlab.history import history, history_from_records
from dockerlab.layers import files

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "dive"
DIVE = Path(sys.executable).parent / "dive"

# dive 0.13.1's numbers, from SHARED / "README.md"
DIVE_TABLE = {
    "test-docker-image.tar": (1220598, 32025, 0.9844212134184309, 66237, 0.4834911001404049),
    "test-docker-image-ocistyle.tar": (1220598, 32025, 0.9844212134184309, 66237, 0.4834911001404049),
    "test-kaniko-image.tar": (1326410, 46245, 0.9793688490216431, 94677, 0.4884502043790995),
}


# --- fixture archives ------------------------------------------------------------------------

BASE = [
    ("dir", "etc/"), ("file", "etc/conf", b"c" * 100),
    ("dir", "data/"), ("file", "data/a", b"a" * 300), ("file", "data/b", b"b" * 200),
    ("dir", "data/sub/"), ("file", "data/sub/c", b"s" * 50),
    ("file", "big", b"B" * 1000), ("symlink", "link", "big"), ("hardlink", "hard", "big"),
    ("dir", "empty/"),
]
APP = [("dir", "app/"), ("file", "app/tool", b"t" * 400)]
CHANGES = [  # overwrite, whiteout of a file, whiteout of a directory, opaque directory
    ("dir", "etc/"), ("file", "etc/conf", b"C" * 120),
    ("file", ".wh.big"), ("file", ".wh.data"),
    ("dir", "opt/"), ("file", "opt/.wh..wh..opq"), ("file", "opt/x", b"x" * 10),
]
ORDER = [0, 1, 1, 2]  # the APP layer is listed twice (identical layers)


@pytest.fixture
def layers() -> list[bytes]:
    return [tar_bytes(BASE), tar_bytes(APP), tar_bytes(CHANGES)]


@pytest.fixture
def legacy(tmp_path: Path, layers: list[bytes]) -> Path:
    return docker_archive(tmp_path / "legacy.tar", layers, ORDER)


def chunks(path: Path, size: int = 1000):
    with path.open("rb") as fh:
        yield from iter(lambda: fh.read(size), b"")


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True).copy()


# --- files() ---------------------------------------------------------------------------------

def test_files_rows_legacy(legacy: Path) -> None:
    df = files(legacy)
    assert list(df.columns) == ["layer", "path", "size", "type", "mode", "uid", "gid", "linkname"]
    assert df.groupby("layer").size().to_dict() == {0: 11, 1: 2, 2: 2, 3: 7}
    rows = {(r.layer, r.path): r for r in df.itertuples()}
    assert rows[0, "etc/conf"].size == 100 and rows[3, "etc/conf"].size == 120
    assert rows[0, "etc"].type == "dir" and rows[0, "empty"].type == "dir"
    assert (rows[0, "link"].type, rows[0, "link"].linkname, rows[0, "link"].size) == ("symlink", "big", 0)
    assert (rows[0, "hard"].type, rows[0, "hard"].linkname, rows[0, "hard"].size) == ("hardlink", "big", 0)
    assert rows[3, ".wh.big"].type == "whiteout" and rows[3, ".wh.data"].type == "whiteout"
    assert rows[3, "opt/.wh..wh..opq"].type == "opaque"
    assert rows[1, "app/tool"].size == rows[2, "app/tool"].size == 400  # the duplicate, twice
    assert rows[0, "big"].mode == 0o644 and rows[0, "big"].uid == 0
    assert not df["path"].str.contains(r"^\.?/|/$").any()
    assert df.attrs["repo_tags"] == ["lab:test"]
    assert len(df.attrs["config"]["history"]) == 4


def test_sources_give_identical_frames(legacy: Path) -> None:
    by_path = files(legacy)
    with legacy.open("rb") as fh:
        by_file = files(fh)
    by_chunks = files(chunks(legacy, 1000))
    by_str = files(str(legacy))
    for other in (by_file, by_chunks, by_str):
        pd.testing.assert_frame_equal(by_path, other)


def test_docker_image_object(legacy: Path) -> None:
    image = SavedImage(legacy, [{"Created": 1, "CreatedBy": "/bin/sh -c true", "Size": 0}])
    pd.testing.assert_frame_equal(files(image), files(legacy))
    assert history(image)["instruction"].tolist() == ["RUN true"]


def test_oci_layout_gzip_and_zstd(tmp_path: Path, legacy: Path, layers: list[bytes]) -> None:
    layout = oci_archive(tmp_path / "oci.tar", layers, ORDER, [None, "gzip", "zstd"])
    expected = files(legacy)
    pd.testing.assert_frame_equal(files(layout), expected)
    pd.testing.assert_frame_equal(files(chunks(layout, 777)), expected)


def test_symlinked_layer_tar(tmp_path: Path, legacy: Path, layers: list[bytes]) -> None:
    linked = docker_archive(tmp_path / "linked.tar", layers, ORDER, symlink_dup=True)
    with tarfile.open(linked) as tar:
        assert sum(m.issym() for m in tar.getmembers()) == 1
    pd.testing.assert_frame_equal(files(linked), files(legacy))


def tarfile_rows(layer: bytes) -> list[tuple]:
    """What tarfile itself reads from a layer, as files() rows (the reference for the parser)."""
    rows = []
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        for info in tar:
            path = info.name.strip().strip("/")
            rows.append((path, info.size if info.isreg() else 0, info.mode, info.uid, info.gid, info.linkname))
    return rows


def test_header_formats_as_tarfile_reads_them(tmp_path: Path) -> None:
    """GNU long names and links with base-256 ids, PAX records (global ones too), ustar name
    prefixes, devices and fifos: files() reads what tarfile reads, however the stream is cut."""
    deep = "d" * 60 + "/" + "e" * 60  # over 100 bytes: a GNU long name, a PAX path or a ustar prefix
    specs = [(tarfile.REGTYPE, f"{deep}/{'n' * 90}", ""), (tarfile.SYMTYPE, f"{deep}/ln", "t" * 130),
             (tarfile.LNKTYPE, "hard", f"{deep}/{'n' * 90}"), (tarfile.DIRTYPE, f"{deep}/sub/", ""),
             (tarfile.REGTYPE, "é/ü", ""), (tarfile.CHRTYPE, "null", ""), (tarfile.FIFOTYPE, "fifo", "")]
    layers = []
    for fmt, ids, pax in ((tarfile.GNU_FORMAT, (3_000_000, 2**22), {}),
                          (tarfile.PAX_FORMAT, (1000, 2**22), {"uid": "7", "comment": "global"}),
                          (tarfile.USTAR_FORMAT, (1000, 5), {})):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=fmt, pax_headers=pax) as tar:
            for kind, name, link in specs:
                if fmt == tarfile.USTAR_FORMAT and len(link) > 100:
                    continue  # no room for it in ustar
                info = tarfile.TarInfo(name)
                info.type, info.linkname, info.mode, (info.uid, info.gid) = kind, link, 0o4755, ids
                data = b"x" * 700 if kind == tarfile.REGTYPE else b""
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        layers.append(out.getvalue())
    formats = docker_archive(tmp_path / "formats.tar", layers, [0, 1, 2])
    expected = [tarfile_rows(layer) for layer in layers]
    assert expected[0][0][0] == f"{deep}/{'n' * 90}" and expected[0][0][3] == 3_000_000
    assert {row[3] for row in expected[1]} == {7}  # the global PAX header's uid
    for size in (1, 511, 513, 4096, None):
        df = files(formats if size is None else chunks(formats, size))
        got = [[(r.path, r.size, r.mode, r.uid, r.gid, r.linkname) for r in df[df["layer"] == i].itertuples()]
               for i in range(3)]
        assert got == expected, size


# --- errors ----------------------------------------------------------------------------------

def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar file\n" * 100)
    with pytest.raises(ArchiveError, match="not an image archive.*docker save"):
        files(junk)


def test_truncated(legacy: Path) -> None:
    data = legacy.read_bytes()
    with pytest.raises(ArchiveError, match="truncated"):
        files(io.BytesIO(data[: len(data) // 2]))


def test_truncated_anywhere(legacy: Path) -> None:
    """Cut in a header, in a layer's entries, in content or padding: always 'truncated'."""
    data = legacy.read_bytes()
    with tarfile.open(legacy) as tar:
        end = max(m.offset_data + -(-m.size // 512) * 512 for m in tar.getmembers())  # the end marker
    for cut in sorted({1024, 1500, 2048, 3000, end // 3, end // 2, end - 700, end - 512, end - 1, end}):
        with pytest.raises(ArchiveError, match="truncated"):
            files(chunks_of(data[:cut], 333))
    assert len(files(io.BytesIO(data[:end + 512]))) == 22  # one zero block ends a tar, as in tarfile


def chunks_of(data: bytes, size: int):
    return (data[i:i + size] for i in range(0, len(data), size))


def test_missing_manifest(tmp_path: Path, layers: list[bytes]) -> None:
    bare = docker_archive(tmp_path / "bare.tar", layers, ORDER, manifest=False)
    with pytest.raises(ArchiveError, match="has no manifest.json.*docker save"):
        files(bare)


def test_manifest_layer_missing(tmp_path: Path, layers: list[bytes]) -> None:
    path = write_tar(tmp_path / "gap.tar", {"a/layer.tar": layers[0], "manifest.json": json.dumps(
        [{"Config": "c.json", "Layers": ["a/layer.tar", "b/layer.tar"]}]).encode()})
    with pytest.raises(ArchiveError, match=r"layer 1 as 'b/layer.tar'.*no such tar member"):
        files(path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ImageNotFound, match="docker save"):
        files(tmp_path / "nope.tar")


def test_a_corrupt_manifest_is_reported_corrupt(tmp_path: Path, layers: list[bytes]) -> None:
    """Not as a missing one, by every reader: files(), read_json() and saved_config_digest()."""
    path = write_tar(tmp_path / "corrupt.tar", {"a/layer.tar": layers[0], "manifest.json": b'[{"Layers": ["a/la'})
    readers = {"files": files, "read_json": lambda p: archive.read_json(p, "manifest.json"),
               "saved_config_digest": lambda p: oci.saved_config_digest(SavedImage(p))}
    for label, read in readers.items():
        with pytest.raises(ArchiveError, match="manifest.json is corrupt, not valid JSON") as caught:
            read(path)
        assert "has no manifest.json" not in str(caught.value), label


def test_a_missing_archive_is_reported_missing(tmp_path: Path) -> None:
    """ImageNotFound (not an unreadable archive) from every function that takes a path."""
    missing = tmp_path / "nope.tar"
    readers = {"files": files, "members": archive.members, "layer_headers": archive.layer_headers,
               "read_json": lambda p: archive.read_json(p, "manifest.json"),
               "load": lambda p: oci.load(p, client=object())}  # refused before the engine is asked
    for label, read in readers.items():
        with pytest.raises(ImageNotFound, match="There is no image archive at .*docker save"):
            read(missing)
        assert not missing.exists(), label


# --- efficiency() ----------------------------------------------------------------------------

def test_efficiency_by_hand(legacy: Path) -> None:
    eff = efficiency(files(legacy))
    # per path k (leaves only): C_k, m_k over the layers holding k
    #   big        1000 (layer 0) + 0 (file whiteout, layer 3)   C=1000 m=0   N=2
    #   etc/conf    100 (layer 0) + 120 (layer 3)                C=220  m=100 N=2
    #   app/tool    400 (layer 1) + 400 (layer 2, duplicate)     C=800  m=400 N=2
    #   data        550 (dir whiteout: a 300 + b 200 + sub/c 50)  N=1
    #   data/a 300, data/b 200, data/sub/c 50, opt/x 10; empty, link, hard 0   N=1
    cum = 1000 + 220 + 800 + 550 + 300 + 200 + 50 + 10
    low = 0 + 100 + 400 + 550 + 300 + 200 + 50 + 10
    assert eff.size_bytes == (100 + 300 + 200 + 50 + 1000) + 400 + 400 + (120 + 10)
    assert eff.user_size_bytes == 400 + 400 + 130
    assert eff.wasted_bytes == 1000 + 220 + 800
    assert eff.reclaimable_bytes == cum - low == 1520
    assert eff.efficiency == pytest.approx(low / cum, rel=1e-12)
    assert eff.user_wasted_ratio == pytest.approx(2020 / 930, rel=1e-12)
    assert [(w.path, w.copies, w.cumulative_size, w.smallest_size, w.reclaimable) for w in eff.top_wasted] == [
        ("big", 2, 1000, 0, 1000), ("app/tool", 2, 800, 400, 400), ("etc/conf", 2, 220, 100, 120)]
    assert list(pd.DataFrame(eff.top_wasted).columns) == [
        "path", "copies", "cumulative_size", "smallest_size", "reclaimable"]


def test_efficiency_of_nothing() -> None:
    eff = efficiency(pd.DataFrame(columns=["layer", "path", "size", "type"]))
    assert (eff.size_bytes, eff.wasted_bytes, eff.efficiency, eff.top_wasted) == (0, 0, 1.0, ())


@pytest.mark.parametrize("name", sorted(DIVE_TABLE))
def test_peer_numbers(name: str) -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not present")
    size, wasted, score, user, ratio = DIVE_TABLE[name]
    eff = efficiency(files(SHARED / name))
    assert (eff.size_bytes, eff.wasted_bytes, eff.user_size_bytes) == (size, wasted, user)
    assert eff.efficiency == pytest.approx(score, rel=1e-12)
    assert eff.user_wasted_ratio == pytest.approx(ratio, rel=1e-12)


def run_dive(path: Path, out: Path) -> dict:
    if not DIVE.exists():
        pytest.skip("the dive binary is not installed in this environment")
    subprocess.run([str(DIVE), "--source", "docker-archive", str(path), "--json", str(out)],
                   check=True, capture_output=True, timeout=120)
    return json.loads(out.read_text())["image"]


def dive_cases(tmp_path: Path, layers: list[bytes]) -> dict[str, Path]:
    quirk = [tar_bytes(BASE + [("file", ".wh.ghost")]), layers[2], layers[2]]
    cases = {
        "own-legacy": docker_archive(tmp_path / "own.tar", layers, ORDER),
        "own-oci-gzip-zstd": oci_archive(tmp_path / "own-oci.tar", layers, ORDER, [None, "gzip", "zstd"]),
        # whiteouts with nothing below them: dive counts them at -1 bytes and skips the rest
        # of that layer; files()+efficiency() reproduce it
        "own-whiteout-quirks": docker_archive(tmp_path / "quirk.tar", quirk, [0, 1, 2]),
    }
    if SHARED.is_dir():
        cases["shared-docker"] = SHARED / "test-docker-image.tar"
    return cases


def test_agrees_with_dive_binary(tmp_path: Path, layers: list[bytes]) -> None:
    for label, path in dive_cases(tmp_path, layers).items():
        dive = run_dive(path, tmp_path / f"{label}.json")
        eff = efficiency(files(path))
        assert eff.size_bytes == dive["sizeBytes"], label
        assert eff.wasted_bytes == dive["inefficientBytes"], label
        assert eff.efficiency == pytest.approx(dive["efficiencyScore"], rel=1e-12), label
        ours = {(w.path, w.copies, w.cumulative_size) for w in eff.top_wasted}
        theirs = {(r["file"].lstrip("/"), r["count"], r["sizeBytes"]) for r in dive["fileReference"]}
        assert ours == theirs, label


# --- history ---------------------------------------------------------------------------------

def test_history_from_records() -> None:
    long_run = "/bin/sh -c pip install --no-cache-dir requests flask numpy pandas scipy matplotlib seaborn"
    records = [  # newest first, as Image.history() returns them
        {"Id": "sha256:9", "Created": 1_700_000_600, "CreatedBy": '/bin/sh -c #(nop)  CMD ["python" "app.py"]', "Size": 0},
        {"Id": "<missing>", "Created": 1_700_000_500, "CreatedBy": "RUN /bin/sh -c apt-get update # buildkit", "Size": 0},
        {"Id": "<missing>", "Created": 1_700_000_400, "CreatedBy": "WORKDIR /app", "Size": 0},
        {"Id": "<missing>", "Created": 1_700_000_300, "CreatedBy": long_run, "Size": 12_345},
        {"Id": "<missing>", "Created": 1_700_000_200, "CreatedBy": "/bin/sh -c true", "Size": 0},
        {"Id": "<missing>", "Created": 1_700_000_100, "CreatedBy": "/bin/sh -c #(nop)  ENV  PATH=/usr/bin", "Size": 0},
        {"Id": "<missing>", "Created": 1_700_000_000, "CreatedBy": "/bin/sh -c #(nop) ADD file:0123 in / ", "Size": 5_000},
    ]
    df = history_from_records(records)
    assert list(df.columns) == ["step", "instruction", "full", "size", "layer", "created"]
    assert df["step"].tolist() == list(range(7))
    assert df["instruction"].tolist()[:3] == ["ADD file:0123 in /", "ENV PATH=/usr/bin", "RUN true"]
    assert df["instruction"].tolist()[4:] == ["WORKDIR /app", "RUN apt-get update", 'CMD ["python" "app.py"]']
    run = df.loc[3, "instruction"]
    assert len(run) == 60 and run.endswith("…") and run.startswith("RUN pip install")
    assert df.loc[3, "full"] == long_run and df.loc[3, "size"] == 12_345
    # WORKDIR commits a layer (an empty one when the directory exists), like RUN, COPY and ADD.
    assert df["layer"].tolist() == [True, False, True, True, True, True, False]
    assert df.loc[0, "created"] == pd.Timestamp("2023-11-14 22:13:20", tz="UTC")
    assert str(df["created"].dtype) == "datetime64[ns, UTC]"
    assert len(history_from_records([])) == 0
