"""dockerlab.engine against the real engine, its message when there is none, and its image look-up."""

import subprocess
import sys
from types import SimpleNamespace

import pytest

import dockerlab
from dockerlab.engine import first_line, get_image, has_image, image_required, unavailable_message


def test_connect_reports_the_engine(engine):
    client, info = engine
    assert client.ping()
    assert info.server_version and info.api_version
    assert info.os == "linux"
    assert info.build_network == (None if info.has_bridge else "host")
    assert info.server_version in info.describe()


def test_no_engine_raises_one_actionable_message(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    with pytest.raises(dockerlab.EngineUnavailable) as caught:
        dockerlab.connect()
    message = str(caught.value)
    assert "DOCKER_HOST=unix:///nonexistent.sock" in message
    assert "unset DOCKER_HOST" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("system, advice", [
    ("Linux", "sudo systemctl start docker"),
    ("Linux", "scripts/start-engine.sh"),
    ("Darwin", "Start Docker Desktop"),
    ("Windows", "Start Docker Desktop"),
])
def test_message_says_what_to_do_per_platform(monkeypatch, system, advice):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    message = unavailable_message(FileNotFoundError(2, "No such file or directory"), system=system)
    assert advice in message
    assert "no such file or directory" in message


def test_permission_denied_is_told_apart(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    message = unavailable_message(PermissionError(13, "Permission denied"), system="Linux")
    assert "docker group" in message


def test_cli_without_engine_prints_no_traceback():
    env = {"DOCKER_HOST": "unix:///nonexistent.sock", "PATH": "/usr/bin:/bin"}
    for command in (["preflight"], ["images"], ["prepare"], ["clean"], ["kit", "load", "/nonexistent.tar"]):
        proc = subprocess.run([sys.executable, "-m", "dockerlab", *command], capture_output=True, text=True,
                              env=env, timeout=60)
        assert proc.returncode == 1, (command, proc.stdout, proc.stderr)
        output = proc.stdout + proc.stderr
        assert "Traceback" not in output, command
        assert "DOCKER_HOST=unix:///nonexistent.sock" in output, command


class _Images:
    """An engine's image store that has only `present`."""

    def __init__(self, *present: str) -> None:
        self.present = present

    def get(self, name: str):
        import docker.errors

        if name not in self.present:
            raise docker.errors.ImageNotFound(f"No such image: {name}")
        return SimpleNamespace(id=f"sha256:{name}")


def test_a_missing_image_is_one_message_whatever_asks():
    client = SimpleNamespace(images=_Images("there:1"))
    assert get_image(client, "there:1").id == "sha256:there:1"
    assert has_image(client, "there:1") and not has_image(client, "gone:1")
    with pytest.raises(dockerlab.ImageNotFound, match=r"^There is no image gone:1 on this engine\. Build it first "
                                                      r"\(the lesson's build cell, or python -m dockerlab prepare\)\.$"):
        get_image(client, "gone:1")
    with pytest.raises(dockerlab.ImageNotFound, match="no image gone:2 on this engine"):
        with image_required("gone:2"):
            client.images.get("gone:2")


@pytest.mark.parametrize("cause, limit, line", [
    ("first\nsecond", 200, "first"),
    ("  padded line  \n", 200, "padded line"),
    ("x" * 300, 200, "x" * 200),
    ("x" * 300, None, "x" * 300),
    (RuntimeError(), 200, "RuntimeError"),
])
def test_first_line_of_an_error(cause, limit, line):
    assert first_line(cause, limit=limit) == line
