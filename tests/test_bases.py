"""dockerlab.bases, .kit and .standin on the real engine: offline-first resolution, kits, honest names."""

import os
import platform
import shutil

import pytest

import dockerlab
from dockerlab import bases, kit, standin
from dockerlab.progress import SilentReporter


def test_resolve_serves_the_tutorial_base_offline(engine):
    client, _ = engine
    base = bases.resolve("ubuntu:24.04", client=client, reporter=SilentReporter())
    assert base.requested == "ubuntu:24.04"
    assert base.source in ("local", "pull", "kit", "debootstrap")
    image = client.images.get(base.ref)
    assert image.id == base.image_id and base.size > 10_000_000
    if base.is_standin:  # never passed off as ubuntu: named and labelled as Debian
        assert base.ref.startswith("dockerlab/debian:") and "ubuntu" not in base.ref
        assert image.labels["dockerlab.tutorial.os"] == "debian:bookworm"
        assert image.labels["dockerlab.tutorial.stands-in-for"] == "ubuntu:24.04"
        assert "Debian" in base.description
        os_release = client.containers.run(base.ref, ["cat", "/etc/os-release"], remove=True, network_disabled=True)
        assert b'ID=debian' in os_release


def test_second_resolve_is_local(engine):
    client, _ = engine
    bases.resolve("ubuntu:24.04", client=client, reporter=SilentReporter())
    again = bases.resolve("ubuntu:24.04", client=client, reporter=SilentReporter())
    assert again.source == "local"


def test_unknown_base_lists_every_attempt(engine, monkeypatch, tmp_path):
    client, _ = engine
    monkeypatch.setenv("DOCKERLAB_KIT", str(tmp_path / "no-kit.tar"))
    with pytest.raises(dockerlab.BaseUnavailable) as caught:
        bases.resolve("dockerlab-no-such-image/alpine:0.0", client=client, reporter=SilentReporter(), pull_timeout=15)
    message = str(caught.value)
    for attempt in ("local:", "pull:", "kit:", "debootstrap:"):
        assert attempt in message
    assert "can only stand in for Debian or Ubuntu" in message


def test_kit_round_trip(engine, tmp_path, test_prefix, cleanup):
    client, _ = engine
    base = bases.resolve("ubuntu:24.04", client=client, reporter=SilentReporter())
    client.images.get(base.ref).tag(f"{test_prefix}kit-probe", "latest")
    cleanup.append(f"{test_prefix}kit-probe:latest")
    archive = tmp_path / "kit.tar"
    names = kit.kit_save(archive, client=client, reporter=SilentReporter(), packages=False)  # see test_aptcache
    assert base.ref in names and archive.stat().st_size > base.size / 2
    loaded = kit.kit_load(archive, client=client)
    assert base.ref in loaded


def test_kit_load_of_a_bad_file_is_explained(engine, tmp_path):
    client, _ = engine
    bad = tmp_path / "kit.tar"
    bad.write_text("not an archive")
    with pytest.raises(dockerlab.KitError, match="not an image archive"):
        kit.kit_load(bad, client=client)
    with pytest.raises(dockerlab.KitError, match="No kit archive"):
        kit.kit_load(tmp_path / "missing.tar", client=client)


def test_standin_gets_the_official_images_apt_and_dpkg_settings(tmp_path):
    (tmp_path / "var/cache/apt/archives").mkdir(parents=True)
    (tmp_path / "var/cache/apt/archives/left.deb").write_text("x")
    (tmp_path / "var/cache/apt/archives/partial").mkdir()
    standin._dress_like_official_images(tmp_path)
    assert not (tmp_path / "var/cache/apt/archives/left.deb").exists()
    assert (tmp_path / "var/cache/apt/archives/partial").is_dir()  # apt needs it; only files go
    assert (tmp_path / "etc/dpkg/dpkg.cfg.d/docker-apt-speedup").read_text() == "force-unsafe-io\n"
    assert 'Acquire::Languages "none";' in (tmp_path / "etc/apt/apt.conf.d/docker-no-languages").read_text()


@pytest.mark.skipif(platform.system() != "Linux" or os.geteuid() != 0 or not shutil.which("debootstrap"),
                    reason="the Debian bootstrap needs Linux, root and debootstrap")
def test_bootstrap_from_debian_packages_when_nothing_else_serves(engine, monkeypatch, tmp_path):
    """The offline path itself: no local image, no registry, no kit -> debootstrap, named as Debian."""
    client, _ = engine
    monkeypatch.setattr(standin, "STANDIN_REPO", "dockerlab-test/debian")
    monkeypatch.setenv("DOCKERLAB_KIT", str(tmp_path / "no-kit.tar"))
    ref = standin.standin_name("ubuntu:24.04")
    try:
        base = bases.resolve("ubuntu:24.04", client=client, reporter=SilentReporter(), pull_timeout=15)
        if base.ref == "ubuntu:24.04":
            pytest.skip("ubuntu:24.04 is on this engine or a registry answers: it served, as it should")
        assert base.source == "debootstrap" and base.ref == ref
        assert "debootstrap" in base.description and "Debian" in base.description
        settings = client.containers.run(ref, ["cat", "/etc/dpkg/dpkg.cfg.d/docker-apt-speedup",
                                               "/etc/apt/apt.conf.d/docker-clean"], remove=True, network_disabled=True)
        assert settings.startswith(b"force-unsafe-io\n") and b"rm -f /var/cache/apt/archives/*.deb" in settings
    finally:
        try:
            client.images.remove(ref, force=True)
        except Exception:
            pass


def test_no_stand_in_for_a_base_that_is_not_debian_or_ubuntu():
    """The reason resolve lists for debootstrap, without an engine or a bootstrap."""
    assert standin.standin_name("alpine:3.20") is None
    assert standin.standin_name("docker.io/library/ubuntu:24.04") == "dockerlab/debian:bookworm-minbase"
    assert bases._bootstrap(None, "alpine:3.20", report=SilentReporter()) == (
        None, "debootstrap: can only stand in for Debian or Ubuntu bases, not alpine:3.20")


def test_kits_are_looked_for_where_they_are_given_first(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKERLAB_KIT", str(tmp_path / "from-env.tar"))
    assert kit.find_kit(tmp_path / "given.tar") == [tmp_path / "given.tar"]
    assert kit.find_kit() == [tmp_path / "from-env.tar"]
    monkeypatch.delenv("DOCKERLAB_KIT")
    monkeypatch.setattr(kit, "KIT_DIR", tmp_path)
    (tmp_path / "b.tar").write_bytes(b"")
    (tmp_path / "a.tar").write_bytes(b"")
    assert kit.find_kit() == [tmp_path / "a.tar", tmp_path / "b.tar"]
    with pytest.raises(dockerlab.KitError, match="No kit archive at"):
        kit.kit_load(tmp_path / "missing.tar", client=object())  # refused before the engine is asked
