"""Files read out of a real image (`dockerlab.containers`), and the ELF facts of the binary read."""

import json
import subprocess
import sys

import pytest

import dockerlab
from dockerlab.containers import entrypoint_size, read_file
from dockerlab.elf import elf_facts
from dockerlab.errors import DockerlabError


def test_the_multi_stage_binary_is_static(engine):
    tag = dockerlab.build("multi-stage").tag
    data = read_file(tag, "/calc")
    facts = elf_facts(data)
    assert facts.static and facts.size == len(data) > 500_000


def test_missing_file_is_explained(engine):
    tag = dockerlab.build("multi-stage").tag
    with pytest.raises(DockerlabError, match="There is no /nope"):
        read_file(tag, "/nope")


def test_entrypoint_size_is_the_binary_size(engine):
    tag = dockerlab.build("multi-stage").tag
    assert entrypoint_size(tag) == len(read_file(tag, "/calc"))
    assert entrypoint_size(dockerlab.build("multi-stage", target="build").tag) is None  # no ENTRYPOINT


def test_images_json_shows_the_smallest_image_against_its_binary(engine):
    """Issue #6's acceptance, read the way a learner would: through `images --json`."""
    dockerlab.build("stripped")
    out = subprocess.run([sys.executable, "-m", "dockerlab", "images", "--json"],
                         capture_output=True, text=True, check=True).stdout
    # The Go calculator's images: the Python lesson's start an interpreter on a script, or cannot start.
    sized = [r for r in json.loads(out) if r["binary_bytes"] and not r["variant"].startswith("python")]
    smallest = min(sized, key=lambda r: r["size_bytes"])
    assert smallest["size_bytes"] <= 1.01 * smallest["binary_bytes"], smallest
    assert smallest["size_bytes"] <= 1.3e6, smallest
