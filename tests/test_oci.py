"""Images written by hand: archives read back, deterministic bytes, a valid OCI layout, and a
docker-archive that the real engine loads and runs."""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import tarfile
import time

import pytest

import dockerlab
from archives import go_style_layer, read_members, write_tar

from dockerlab import archive, errors, naming, oci
from dockerlab.errors import ArchiveError, DockerlabError
from dockerlab.layers import files

ELF = b"\x7fELF" + bytes(60) + b"not really a program"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write(path, layout="docker", **options):
    spec = dict(files={"/calc": (ELF, 0o755), "/etc/motd": b"hello\n"}, entrypoint=["/calc"],
                tag=naming.image_name("by-hand-test"), layout=layout)
    return oci.write_image(path, **{**spec, **options})


# --- reading the archives back ------------------------------------------------------------

@pytest.mark.parametrize("layout", ["docker", "oci"])
def test_files_reads_back_what_was_written(tmp_path, layout):
    image = write(tmp_path / "image.tar", layout)
    table = files(tmp_path / "image.tar")
    assert table[["layer", "path", "size", "type"]].values.tolist() == [
        [0, "calc", len(ELF), "file"], [0, "etc", 0, "dir"], [0, "etc/motd", 6, "file"]]
    calc = table[table["path"] == "calc"].iloc[0]
    assert (calc["mode"], calc["uid"], calc["gid"]) == (0o755, 0, 0)
    assert table.attrs["repo_tags"] == [image.tag] == [naming.image_name("by-hand-test")]
    assert table.attrs["config"]["rootfs"]["diff_ids"] == [image.diff_id]


@pytest.mark.parametrize("layout", ["docker", "oci"])
def test_writing_twice_gives_the_same_bytes(tmp_path, layout):
    first, second = write(tmp_path / "a.tar", layout), write(tmp_path / "b.tar", layout)
    buffer = io.BytesIO()
    third = write(buffer, layout)
    data = (tmp_path / "a.tar").read_bytes()
    assert data == (tmp_path / "b.tar").read_bytes() == buffer.getvalue()
    assert first == second == third
    assert first.archive_digest == sha(data) and first.archive_size == len(data)


def test_the_order_of_files_does_not_change_the_bytes(tmp_path):
    one = write(tmp_path / "a.tar", files={"/a": b"1", "/b/c": b"2"})
    two = write(tmp_path / "b.tar", files={"/b/c": b"2", "/a": b"1"})
    assert one.diff_id == two.diff_id and one.archive_digest == two.archive_digest


def test_the_layer_tar_is_plain_and_reproducible():
    layer = oci.layer_tar({"/usr/bin/calc": (ELF, 0o755), "/a": b"x"})
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        members = tar.getmembers()
    assert [(m.name, m.isdir()) for m in members] == [("a", False), ("usr", True), ("usr/bin", True),
                                                       ("usr/bin/calc", False)]
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 and m.uname == "" and not m.pax_headers
               for m in members)
    assert [m.mode for m in members] == [0o644, 0o755, 0o755, 0o755]
    assert layer[257:265] == b"ustar\x0000"  # POSIX ustar: no GNU or pax extensions


def test_the_docker_archive_has_the_classic_layout(tmp_path):
    image = write(tmp_path / "image.tar")
    found = read_members(tmp_path / "image.tar")
    layer_hex, config_hex = image.diff_id[7:], image.config_digest[7:]
    assert set(found) == {"manifest.json", f"{config_hex}.json", layer_hex, f"{layer_hex}/layer.tar"}
    assert json.loads(found["manifest.json"]) == [
        {"Config": f"{config_hex}.json", "RepoTags": [image.tag], "Layers": [f"{layer_hex}/layer.tar"]}]
    assert sha(found[f"{config_hex}.json"]) == image.config_digest
    assert sha(found[f"{layer_hex}/layer.tar"]) == image.diff_id == image.layer_digest
    assert len(found[f"{layer_hex}/layer.tar"]) == image.layer_size
    assert image.manifest_digest is None


def test_the_config_says_how_to_run_and_names_the_layer(tmp_path):
    image = write(tmp_path / "image.tar", user="65532", env=["LANG=C.UTF-8"], labels={"org.example": "yes"},
                  architecture="aarch64")
    config = archive.read_json(tmp_path / "image.tar", f"{image.config_digest[7:]}.json")
    assert (config["architecture"], config["os"]) == ("arm64", "linux")
    assert config["config"] == {
        "Entrypoint": ["/calc"], "User": "65532", "Env": ["LANG=C.UTF-8"],
        "Labels": {**naming.labels("lesson", variant="by-hand"), "org.example": "yes"}}
    assert config["rootfs"] == {"type": "layers", "diff_ids": [image.diff_id]}
    assert len(config["history"]) == 1 and "empty_layer" not in config["history"][0]
    assert config["created"] == "1970-01-01T00:00:00Z"
    assert image.architecture == "arm64"


def test_the_config_leaves_out_what_was_not_given(tmp_path):
    image = write(tmp_path / "image.tar")
    config = archive.read_json(tmp_path / "image.tar", f"{image.config_digest[7:]}.json")
    assert set(config["config"]) == {"Entrypoint", "Labels"}


def test_the_oci_layout_is_valid(tmp_path):
    """oci-layout, index.json -> manifest -> config and layer: every digest and size matches its blob."""
    image = write(tmp_path / "image.tar", "oci")
    found = read_members(tmp_path / "image.tar")
    blob = lambda digest: found[f"blobs/sha256/{digest.split(':', 1)[1]}"]  # noqa: E731
    assert json.loads(found["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(found["index.json"])
    assert index["schemaVersion"] == 2 and index["mediaType"] == oci.MEDIA_INDEX
    (entry,) = index["manifests"]
    assert entry["mediaType"] == oci.MEDIA_MANIFEST
    assert entry["annotations"] == {"io.containerd.image.name": oci.full_name(image.tag),
                                    "org.opencontainers.image.ref.name": "latest"}
    manifest_bytes = blob(entry["digest"])
    assert sha(manifest_bytes) == entry["digest"] == image.manifest_digest
    assert len(manifest_bytes) == entry["size"] == image.manifest_size
    manifest = json.loads(manifest_bytes)
    assert manifest["schemaVersion"] == 2 and manifest["mediaType"] == oci.MEDIA_MANIFEST
    assert manifest["config"]["mediaType"] == oci.MEDIA_CONFIG
    for descriptor in (manifest["config"], *manifest["layers"]):
        data = blob(descriptor["digest"])
        assert sha(data) == descriptor["digest"] and len(data) == descriptor["size"]
    assert [d["mediaType"] for d in manifest["layers"]] == [oci.MEDIA_LAYER]
    assert manifest["config"]["digest"] == image.config_digest
    assert manifest["layers"][0]["digest"] == image.layer_digest == image.diff_id
    # every blob is referenced, and nothing else lies in blobs/
    blobs = {name for name in found if name.startswith("blobs/sha256/")}
    assert blobs == {f"blobs/sha256/{d[7:]}" for d in (entry["digest"], image.config_digest, image.diff_id)}
    # Docker 25+'s compatibility manifest.json points into the same blobs
    assert json.loads(found["manifest.json"]) == [{"Config": f"blobs/sha256/{image.config_digest[7:]}",
                                                   "RepoTags": [image.tag],
                                                   "Layers": [f"blobs/sha256/{image.diff_id[7:]}"]}]


def test_a_pure_oci_layout_has_no_docker_manifest(tmp_path):
    with_it, without = write(tmp_path / "a.tar", "oci"), write(tmp_path / "b.tar", "oci", docker_manifest=False)
    assert "manifest.json" not in read_members(tmp_path / "b.tar")
    assert with_it.manifest_digest == without.manifest_digest  # the same image, one index fewer
    with pytest.raises(ArchiveError, match="no manifest.json"):
        files(tmp_path / "b.tar")


def test_both_layouts_hold_the_same_image(tmp_path):
    docker_, oci_ = write(tmp_path / "a.tar"), write(tmp_path / "b.tar", "oci")
    assert (docker_.config_digest, docker_.diff_id) == (oci_.config_digest, oci_.diff_id)
    assert docker_.archive_digest != oci_.archive_digest


def test_members_and_read_json_read_the_archive(tmp_path):
    write(tmp_path / "image.tar")
    names = [name for name, _ in archive.members(tmp_path / "image.tar")]
    assert names == sorted(names) and "manifest.json" in names
    with pytest.raises(ArchiveError, match="has no entry 'index.json'"):
        archive.read_json(tmp_path / "image.tar", "index.json")
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    with pytest.raises(ArchiveError, match="not a tar archive"):
        archive.members(tmp_path / "junk.tar")


def test_layer_headers_show_how_entries_were_written(tmp_path):
    write(tmp_path / "image.tar")
    headers = archive.layer_headers(tmp_path / "image.tar")
    calc = headers[headers["name"] == "calc"].iloc[0]
    assert (calc["mode"], calc["mtime"], calc["uname"], calc["format"]) == ("0o755", "1970-01-01 00:00:00", "", "ustar")


# --- mistakes are explained ---------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"files": {}}, "at least one file"),
    ({"files": {"/calc": "text"}}, "not bytes"),
    ({"files": {"/../calc": b"x"}}, "no '..'"),
    ({"files": {"/calc": (b"x", 0o100755)}}, "permission bits"),
    ({"entrypoint": "/calc"}, "list of strings"),
    ({"entrypoint": []}, "list of strings"),
    ({"env": ["NOEQUALS"]}, "NAME=value"),
    ({"layout": "zip"}, "choose 'docker'"),
    ({"tag": "Calc:latest"}, "not a valid image name"),
    ({"tag": "someone-else/calc:latest"}, "not under the tutorial's prefix"),
])
def test_mistakes_are_explained(tmp_path, options, message):
    with pytest.raises(oci.ImageSpecError, match=message) as caught:
        write(tmp_path / "image.tar", **options)
    assert isinstance(caught.value, DockerlabError)
    assert not (tmp_path / "image.tar").exists()


def test_an_unwritable_path_is_explained(tmp_path):
    with pytest.raises(DockerlabError, match="Create its folder first"):
        write(tmp_path / "missing" / "image.tar")


def test_the_public_names_are_locked():
    assert sorted(oci.__all__) == sorted([
        "ImageManifest", "ImageSpecError", "OCILayoutUnsupported", "LoadFailed", "MEDIA_MANIFEST", "MEDIA_CONFIG",
        "MEDIA_LAYER", "MEDIA_INDEX", "write_image", "layer_tar", "load", "engine_loads_oci", "saved_config_digest",
        "full_name"])
    assert all(hasattr(oci, name) for name in oci.__all__)
    assert all(issubclass(getattr(oci, e), DockerlabError) and getattr(oci, e) is getattr(errors, e)
               for e in ("ImageSpecError", "OCILayoutUnsupported", "LoadFailed"))


def test_a_tag_without_a_version_gets_latest(tmp_path):
    assert write(tmp_path / "image.tar", tag=f"{naming.prefix()}by-hand").tag == naming.image_name("by-hand")


@pytest.mark.parametrize("tag, full", [("dockerlab/by-hand:latest", "docker.io/dockerlab/by-hand:latest"),
                                       ("calc:1", "docker.io/library/calc:1"),
                                       ("registry.example:5000/a/b:c", "registry.example:5000/a/b:c"),
                                       ("localhost/a:b", "localhost/a:b")])
def test_index_names_are_fully_qualified_as_docker_save_writes_them(tag, full):
    assert oci.full_name(tag) == full


# --- the real engine ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def calculator(engine):
    """(the multi-stage image's tag, the bytes of its /calc), built under the default prefix
    (a module fixture runs before `test_prefix` changes it, so no test-prefixed copy is built)."""
    from dockerlab.containers import read_file

    client, info = engine
    tag = dockerlab.build("multi-stage", client=client, engine=info).tag
    return tag, read_file(tag, "/calc", client=client)


def test_a_pure_oci_layout_loads_where_the_image_store_can_and_is_refused_plainly_elsewhere(engine, tmp_path, test_prefix, cleanup):
    client, info = engine
    written = write(tmp_path / "image.tar", "oci", docker_manifest=False, tag=naming.image_name("by-hand-oci"))
    cleanup.append(written.tag)
    if oci.engine_loads_oci(info):
        assert oci.load(tmp_path / "image.tar", client=client) == [written.tag]
        assert client.images.get(written.tag).id == written.manifest_digest  # containerd names it by manifest
        return
    with pytest.raises(oci.OCILayoutUnsupported) as caught:
        oci.load(tmp_path / "image.tar", client=client)
    assert "OCI image layout without manifest.json" in str(caught.value)
    assert "Its answer: " in str(caught.value) and "docker_manifest=True" in str(caught.value)


def test_the_engine_keeps_the_config_written_by_hand(engine, tmp_path, test_prefix, cleanup):
    client, info = engine
    written = write(tmp_path / "image.tar", tag=naming.image_name("by-hand-config"))
    cleanup.append(written.tag)
    oci.load(tmp_path / "image.tar", client=client)
    image = client.images.get(written.tag)
    assert oci.saved_config_digest(image) == written.config_digest
    assert (image.id == written.config_digest) is (info.image_store == "classic")


def test_load_refuses_what_is_not_an_image(engine, tmp_path):
    write_tar(tmp_path / "other.tar", {"hello.txt": b""})
    with pytest.raises(ArchiveError, match="neither manifest.json nor index.json"):
        oci.load(tmp_path / "other.tar", client=engine[0])


def test_an_archive_the_engine_refuses_is_explained(engine, tmp_path):
    write_tar(tmp_path / "broken.tar", {"manifest.json": json.dumps([{
        "Config": "missing.json", "RepoTags": [naming.image_name("by-hand-broken")], "Layers": ["missing/layer.tar"]}]).encode()})
    with pytest.raises(oci.LoadFailed, match="The engine refused broken.tar: .*missing"):
        oci.load(tmp_path / "broken.tar", client=engine[0])


def test_a_hand_written_calculator_loads_runs_and_matches_the_built_one(engine, calculator, tmp_path, test_prefix,
                                                                        cleanup, remove_images):
    """The calculator out of dockerlab/multi-stage, written by hand, loaded and run.

    Its diff_id differs from the built image's, and only because of tar headers: the file bytes are
    the same, and rebuilding the builder's header byte for byte gives the builder's diff_id.
    """
    client, info = engine
    multi_tag, calc = calculator
    tag = naming.image_name("by-hand")
    assert tag.startswith(test_prefix)
    written = oci.write_image(tmp_path / "image.tar", files={"/calc": (calc, 0o755)}, entrypoint=["/calc"],
                              tag=tag, architecture=info.arch)
    cleanup.append(tag)
    assert oci.load(tmp_path / "image.tar", client=client) == [tag]

    image = client.images.get(tag)
    assert oci.saved_config_digest(image) == written.config_digest  # the engine keeps our config
    # The classic store names an image by its config's digest, the containerd store by a manifest's.
    assert (image.id == written.config_digest) is (info.image_store == "classic")
    assert image.attrs["RootFS"]["Layers"] == [written.diff_id]
    assert image.labels[naming.LABEL] == test_prefix
    assert dockerlab.run(tag, "6*7", client=client).stdout.strip() == "42"
    expressions = ["2 + 3", "2^3^2", "8 / 0"]
    assert dockerlab.calculate(tag, expressions, client=client).equals(
        dockerlab.calculate(multi_tag, expressions, client=client))

    # The same file, and a different layer digest: the headers differ.
    built_layers = client.images.get(multi_tag).attrs["RootFS"]["Layers"]
    assert len(built_layers) == 1
    assert built_layers[0] != written.diff_id
    built = archive.layer_headers(client.images.get(multi_tag))
    ours = archive.layer_headers(tmp_path / "image.tar")
    assert built["name"].tolist() == ours["name"].tolist() == ["calc"]
    assert built["size"].iloc[0] == ours["size"].iloc[0] == len(calc)
    differ = [c for c in ("mode", "uname", "gname", "mtime", "tar_size") if built[c].iloc[0] != ours[c].iloc[0]]
    assert {"mtime", "tar_size"} <= set(differ), differ  # the build's time vs 1970; Go's tar ends sooner
    if info.image_store == "classic":
        assert "mode" in differ, differ  # 0o100755 (the file type in the mode) vs 0o755
    if built["format"].iloc[0] == "ustar" and built["uname"].iloc[0] == "root":
        # Engines up to 24 (Go archive/tar, one plain header): rebuild it and the digests agree.
        mtime = calendar.timegm(time.strptime(built["mtime"].iloc[0], "%Y-%m-%d %H:%M:%S"))
        assert sha(go_style_layer("calc", calc, mtime=mtime)) == built_layers[0]

    remove_images([tag])
    assert not client.images.list(name=tag)


def test_the_checker_accepts_a_hand_written_image_and_explains_a_wrong_one(engine, calculator, tmp_path, test_prefix,
                                                                          cleanup):
    from dockerlab import checks

    client, info = engine
    calc = calculator[1]
    good, bad = naming.image_name("by-hand-nonroot"), naming.image_name("by-hand-broken")
    oci.write_image(tmp_path / "good.tar", files={"/calc": (calc, 0o755)}, entrypoint=["/calc"], tag=good,
                    user="65532", labels={"org.opencontainers.image.title": "calculator"}, architecture=info.arch)
    oci.write_image(tmp_path / "bad.tar", files={"/calc": (calc, 0o755)}, entrypoint=["/calculator"], tag=bad,
                    architecture=info.arch)
    cleanup.extend([good, bad])
    oci.load(tmp_path / "good.tar", client=client)
    oci.load(tmp_path / "bad.tar", client=client)

    feedback = checks.check_image_by_hand(good, user="65532", labels={"org.opencontainers.image.title": "calculator"})
    assert feedback.ok, [line for line in feedback.lines if line.startswith("✗")]
    wrong = checks.check_image_by_hand(bad, user="65532", labels={"org.opencontainers.image.title": "calculator"})
    assert not wrong.ok
    assert any("the label `org.opencontainers.image.title` is missing" in line for line in wrong.lines)
    assert any(line.startswith("✗ `6*7` should print `42`") for line in wrong.lines)
    assert any("runs as user `root (none set)`" in line for line in wrong.lines)
    assert any(line.startswith("✓ it has exactly one layer") for line in wrong.lines)
    missing = checks.check_image_by_hand(naming.image_name("never-written"))
    assert not missing.ok and "no image" in missing.lines[0]
    assert not checks.check_image_by_hand("").ok


def test_an_image_of_another_platform_starts_with_the_engines_warning(engine, tmp_path, test_prefix, cleanup):
    """The engine creates a container of an image written for another machine, and says so in the
    create's Warnings; `run` hands them on. (The program is no real one, so it cannot run anyway.)"""
    client, info = engine
    other = "amd64" if info.arch == "arm64" else "arm64"
    written = write(tmp_path / "image.tar", tag=naming.image_name("by-hand-foreign"), architecture=other)
    cleanup.append(written.tag)
    oci.load(tmp_path / "image.tar", client=client)
    ran = dockerlab.run(written.tag, client=client)
    assert not ran.ok
    (warning,) = ran.warnings
    assert f"The requested image's platform (linux/{other}) does not match the detected host platform" in warning
    native = write(tmp_path / "native.tar", tag=naming.image_name("by-hand-native"), architecture=info.arch)
    cleanup.append(native.tag)
    oci.load(tmp_path / "native.tar", client=client)
    assert dockerlab.run(native.tag, client=client).warnings == ()
