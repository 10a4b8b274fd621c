"""ELF facts from headers the tests write, and a file read out of a real image."""

import struct

import pytest

import dockerlab
from dockerlab.binary import elf_facts, read_file
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
