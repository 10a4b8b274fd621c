"""ELF facts from headers the tests write, and a file read out of a real image."""

import json
import struct
import subprocess
import sys

import pytest

import dockerlab
from dockerlab.binary import elf_facts, entrypoint_size, read_file
from dockerlab.errors import DockerlabError


def _elf(*, interp: bool, symtab: bool, machine: int = 0x3E) -> bytes:
    """A minimal little-endian ELF64: one program header and two section headers."""
    phoff, shoff = 64, 64 + 56
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0, phoff, shoff, 0, 64, 56, 1, 64, 2, 0)
    program = struct.pack("<IIQQQQQQ", 3 if interp else 1, 0, 0, 0, 0, 0, 0, 0)
    sections = struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    sections += struct.pack("<IIQQQQIIQQ", 0, 2 if symtab else 1, 0, 0, 0, 0, 0, 0, 0, 0)
    return header + program + sections


@pytest.mark.parametrize("interp, symtab", [(False, False), (False, True), (True, False), (True, True)])
def test_static_and_stripped_are_read_from_the_tables(interp, symtab):
    facts = elf_facts(_elf(interp=interp, symtab=symtab))
    assert facts.static is not interp and facts.stripped is not symtab
    assert facts.machine == "x86-64"


def test_other_machines_are_named():
    assert elf_facts(_elf(interp=False, symtab=False, machine=0xB7)).machine == "arm64"


def test_not_an_elf_is_explained():
    with pytest.raises(DockerlabError, match="not an ELF binary"):
        elf_facts(b"#!/bin/sh\necho hi\n")


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
