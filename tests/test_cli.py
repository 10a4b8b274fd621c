"""Every command of ``python -m dockerlab`` as a learner meets it on a real engine: a missing image,
a bad argument, a learner's own stopped container in the way. Each ends in one message (or the
command's usual output) and never a traceback. The dead engine is test_engine's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def command(*args: str, prefix: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dockerlab", *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, DOCKERLAB_PREFIX=prefix))


def assert_one_message(proc: subprocess.CompletedProcess, code: int, *words: str) -> None:
    """Exit `code`, no traceback, and a short error that says `words`."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    error = proc.stderr.strip()
    assert 0 < len(error.splitlines()) <= 3, error
    for word in words:
        assert word in error, (word, error)


@pytest.mark.parametrize("args, code, words", [
    (["analyze", "no-such-image:never"], 1, ["no-such-image:never"]),
    (["analyze", "no-such-image:never", "--lowest-efficiency", "95"], 1, ["0 to 1"]),
    (["analyze", "/nonexistent/saved.tar"], 1, ["/nonexistent/saved.tar"]),
    (["kit", "save", "/proc/dockerlab-kit.tar"], 1, ["Could not write the kit /proc/dockerlab-kit.tar"]),
    (["kit", "load", "/nonexistent/kit.tar"], 1, ["/nonexistent/kit.tar"]),
    (["images", "--bogus"], 2, ["unrecognized arguments: --bogus"]),
    (["clean", "--everything"], 2, ["unrecognized arguments: --everything"]),
    (["no-such-command"], 2, ["invalid choice"]),
], ids=lambda value: " ".join(value) if isinstance(value, list) else None)
def test_a_learners_mistake_gets_one_message(engine, test_prefix, args, code, words):
    proc = command(*args, prefix=test_prefix)
    assert_one_message(proc, code, *words)


def test_every_command_with_a_learners_stopped_container_in_the_way(engine, test_prefix, tmp_path):
    """A learner's `docker create` of a tutorial image: images lists it, clean keeps it and says
    why, kit save still saves; each without a traceback."""
    import dockerlab

    client, _ = engine
    context = tmp_path / "probe"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY probe /probe\n")
    (context / "probe").write_text("probe\n")
    built = dockerlab.build("probe", dockerfile=context / "Dockerfile", context=context, client=client, engine=engine[1])
    theirs = client.containers.create(built.tag, ["/probe"], network_disabled=True)
    kit = tmp_path / "kit.tar"
    try:
        images = command("images", "--json", prefix=test_prefix)
        assert images.returncode == 0 and "Traceback" not in images.stderr, images.stderr
        assert built.tag in images.stdout
        saved = command("kit", "save", "--no-packages", str(kit), prefix=test_prefix)
        assert saved.returncode == 0 and "Traceback" not in saved.stderr, saved.stderr
        assert kit.stat().st_size > 0
        kept = command("clean", prefix=test_prefix)
        assert kept.returncode == 0 and "Traceback" not in kept.stderr, kept.stderr
        assert f"your container {theirs.name} uses it" in kept.stdout
        theirs.reload()
    finally:
        theirs.remove(force=True)
    gone = command("clean", prefix=test_prefix)
    assert gone.returncode == 0 and not client.images.list(name=built.tag), gone.stdout
