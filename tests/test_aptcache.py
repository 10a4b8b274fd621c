"""`aptcache`: the workshop kit's package cache, on files written here, and served by a real
apt-cacher-ng (which scripts/setup.sh installs) to real builds."""

from __future__ import annotations

import io
import socket
import tarfile

import pytest

from dockerlab import BuildFailed, KitError, aptcache, kit
from dockerlab.build import advice


def test_packages_are_read_from_every_install_line(tmp_path):
    for name, text in {"a": "RUN apt-get update && apt-get install -y --no-install-recommends golang-go \\\n"
                            "    ca-certificates \\\n && rm -rf /var/lib/apt/lists/*\n",
                       "b": "RUN apt-get install -y python3 && echo done\nRUN apt-get install -q tzdata; true\n",
                       "c": "FROM scratch\n"}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(text)
    assert aptcache.packages(tmp_path) == ["ca-certificates", "golang-go", "python3", "tzdata"]


def test_the_real_dockerfiles_name_the_toolchain_and_the_python_build():
    assert {"golang-go", "tzdata", "ca-certificates", "python3-dev"} <= set(aptcache.packages())


def test_the_proxy_is_one_setting(monkeypatch):
    monkeypatch.delenv(aptcache.PROXY_ENV, raising=False)
    assert aptcache.proxy() is None and aptcache.build_args() == {}
    assert "mirror" in aptcache.source_line()
    monkeypatch.setenv(aptcache.PROXY_ENV, "http://192.0.2.1:3142")
    assert aptcache.build_args() == {"http_proxy": "http://192.0.2.1:3142", "HTTP_PROXY": "http://192.0.2.1:3142"}
    assert "http://192.0.2.1:3142" in aptcache.source_line()


def test_a_failure_through_the_proxy_names_it_and_what_to_do(monkeypatch):
    log = "E: Failed to fetch http://deb.debian.org/debian/pool/main/t/tzdata.deb  503  Host not found"
    monkeypatch.delenv(aptcache.PROXY_ENV, raising=False)
    assert "Connect to the internet" in advice("exit code 100", log)
    monkeypatch.setenv(aptcache.PROXY_ENV, "http://192.0.2.1:3142")
    said = advice("exit code 100", log)
    assert "http://192.0.2.1:3142" in said and "kit serve" in said and "unset" in said


def test_pack_and_unpack_replace_the_cache(tmp_path):
    cache = tmp_path / "cache"
    (cache / "deb.debian.org" / "debian").mkdir(parents=True)
    (cache / "deb.debian.org" / "debian" / "x.deb").write_bytes(b"deb")
    archive = tmp_path / "kit.packages.tar"
    assert aptcache.pack(cache, archive) == archive.stat().st_size > 0
    target = tmp_path / "elsewhere"
    (target / "old").mkdir(parents=True)
    assert aptcache.unpack(archive, target) == 1
    assert (target / "deb.debian.org" / "debian" / "x.deb").read_bytes() == b"deb" and not (target / "old").exists()


def test_unpack_of_something_else_is_explained(tmp_path):
    garbage, other = tmp_path / "garbage.tar", tmp_path / "other.tar"
    garbage.write_text("not a tar")
    with tarfile.open(other, "w") as tar:
        tar.addfile(tarfile.TarInfo("manifest.json"), io.BytesIO(b""))
    with pytest.raises(KitError, match="Could not read the package cache"):
        aptcache.unpack(garbage, tmp_path / "c")
    with pytest.raises(KitError, match="holds no package cache"):
        aptcache.unpack(other, tmp_path / "c")


def test_the_packages_archive_sits_beside_the_kit_and_is_not_a_kit(tmp_path, monkeypatch):
    assert kit.packages_archive(tmp_path / "room.tar") == tmp_path / "room.packages.tar"
    monkeypatch.setattr(kit, "KIT_DIR", tmp_path)
    monkeypatch.delenv(kit.KIT_ENV, raising=False)
    for name in ("room.tar", "room.packages.tar"):
        (tmp_path / name).write_text("")
    assert kit.find_kit() == [tmp_path / "room.tar"]


def test_no_apt_cacher_ng_is_explained(monkeypatch, tmp_path):
    monkeypatch.setattr(aptcache, "PROGRAM", "dockerlab-no-such-program")
    with pytest.raises(KitError, match="apt-cacher-ng is not installed"):
        with aptcache.serving(tmp_path / "cache"):
            pass


# -- a real apt-cacher-ng and real builds --------------------------------------------------------

def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again at once: nothing listens there


def _dockerfile(tmp_path, package: str):
    (tmp_path / "ctx").mkdir(exist_ok=True)
    path = tmp_path / f"Dockerfile.{package}"
    path.write_text(f"ARG BASE=ubuntu:24.04\nFROM ${{BASE}}\nRUN apt-get update && apt-get install -y {package}\n")
    return path


def test_builds_get_their_packages_from_the_kit_with_no_mirror(engine, test_prefix, cleanup, tmp_path, monkeypatch):
    """Filled once from the mirror, the cache serves offline a build with no cache; a package
    it lacks, and a proxy where nothing listens, fail with a message that says what to do."""
    import dockerlab
    from dockerlab.progress import SilentReporter

    client, _ = engine
    cache = tmp_path / "apt-cache"
    assert kit.fill_packages(client, cache, names=["netbase"], reporter=SilentReporter()) >= 1
    tag = dockerlab.image_name("kit-offline")
    cleanup.append(tag)
    with aptcache.serving(cache, offline=True) as url:
        monkeypatch.setenv(aptcache.PROXY_ENV, url)
        built = dockerlab.build("kit-offline", tag=tag, dockerfile=_dockerfile(tmp_path, "netbase"),
                                context=tmp_path / "ctx", nocache=True, reporter=SilentReporter())
        assert built.cached_steps == 0
        assert dockerlab.run(tag, "/etc/protocols", entrypoint=["test", "-f"]).ok
        history = " ".join(step.get("CreatedBy", "") for step in client.api.history(tag))
        assert "http_proxy" not in history  # Docker's predefined proxy arguments stay out of the image
        with pytest.raises(BuildFailed) as lacking:
            dockerlab.build("kit-offline", tag=tag, dockerfile=_dockerfile(tmp_path, "less"),
                            context=tmp_path / "ctx", reporter=SilentReporter())
        assert url in str(lacking.value) and "kit serve" in str(lacking.value)
    # The server is gone; the same setting finds the build in the cache and asks apt nothing.
    again = dockerlab.build("kit-offline", tag=tag, dockerfile=_dockerfile(tmp_path, "netbase"),
                            context=tmp_path / "ctx", reporter=SilentReporter())
    assert again.cached_steps == again.cacheable_steps and again.image_id == built.image_id
    monkeypatch.setenv(aptcache.PROXY_ENV, f"http://127.0.0.1:{_dead_port()}")
    with pytest.raises(BuildFailed) as nowhere:
        dockerlab.build("kit-offline", tag=tag, dockerfile=_dockerfile(tmp_path, "netbase"),
                        context=tmp_path / "ctx", nocache=True, reporter=SilentReporter())
    assert "through the apt proxy" in str(nowhere.value) and "unset" in str(nowhere.value)


def test_kit_save_without_apt_cacher_ng_keeps_the_images_and_says_so(engine, test_prefix, tmp_path, monkeypatch):
    from dockerlab.progress import SilentReporter

    monkeypatch.setattr(aptcache, "PROGRAM", "dockerlab-no-such-program")
    monkeypatch.setenv(aptcache.CACHE_ENV, str(tmp_path / "apt-cache"))
    archive = tmp_path / "kit.tar"
    with pytest.raises(KitError, match="The images are saved in .*--no-packages"):
        kit.kit_save(archive, client=engine[0], reporter=SilentReporter())
    assert archive.stat().st_size > 0 and not kit.packages_archive(archive).exists()
