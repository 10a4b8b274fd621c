"""ELF facts from headers the tests write, and every bad input refused with a plain ElfError."""

import struct

import pytest

from dockerlab.elf import elf_facts
from dockerlab.errors import DockerlabError, ElfError


def _elf(*, interp: bool, symtab: bool, machine: int = 0x3E) -> bytes:
    """A minimal little-endian ELF64: one program header and two section headers."""
    phoff, shoff = 64, 64 + 56
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0, phoff, shoff, 0, 64, 56, 1, 64, 2, 0)
    program = struct.pack("<IIQQQQQQ", 3 if interp else 1, 0, 0, 0, 0, 0, 0, 0)
    sections = struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    sections += struct.pack("<IIQQQQIIQQ", 0, 2 if symtab else 1, 0, 0, 0, 0, 0, 0, 0, 0)
    return header + program + sections


def _elf32_big_endian(*, interp: bool) -> bytes:
    """A minimal big-endian ELF32 (an old PowerPC binary, say): one program header, no sections."""
    header = b"\x7fELF" + bytes([1, 2, 1]) + bytes(9)
    header += struct.pack(">HHIIIIIHHHHHH", 2, 0x14, 1, 0, 52, 0, 0, 52, 32, 1, 40, 0, 0)
    return header + struct.pack(">IIIIIIII", 3 if interp else 1, 0, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("interp, symtab", [(False, False), (False, True), (True, False), (True, True)])
def test_static_and_stripped_are_read_from_the_tables(interp, symtab):
    facts = elf_facts(_elf(interp=interp, symtab=symtab))
    assert facts.static is not interp and facts.stripped is not symtab
    assert facts.machine == "x86-64"


def test_other_machines_are_named():
    assert elf_facts(_elf(interp=False, symtab=False, machine=0xB7)).machine == "arm64"


def test_a_32_bit_big_endian_binary_is_read_too():
    facts = elf_facts(_elf32_big_endian(interp=True))
    assert not facts.static and facts.stripped and facts.machine == "machine 0x14"
    assert elf_facts(_elf32_big_endian(interp=False)).static


def test_not_an_elf_is_explained():
    with pytest.raises(DockerlabError, match="not an ELF binary"):
        elf_facts(b"#!/bin/sh\necho hi\n")


@pytest.mark.parametrize("data, message", [
    (b"", "not an ELF binary"),
    (b"\x7fEL", "not an ELF binary"),
    (b"\x7fELF", r"EI_CLASS, byte 4\) is missing"),
    (b"\x7fELF\x02", r"EI_DATA, byte 5\) is missing"),
    (b"\x7fELF\x02\x01\x01" + bytes(20), "cut short: a 64-bit ELF header takes 64 bytes, and the file has 27"),
    (b"\x7fELF\x01\x01\x01" + bytes(20), "cut short: a 32-bit ELF header takes 52 bytes"),
])
def test_a_truncated_file_is_explained(data, message):
    with pytest.raises(ElfError, match=message):
        elf_facts(data)


@pytest.mark.parametrize("cut", [64, 64 + 3, 64 + 56, 64 + 56 + 64 + 5])
def test_tables_past_the_end_of_the_file_are_explained(cut):
    """The header is whole, but a program or section header it points to is cut off."""
    with pytest.raises(ElfError, match=r"cut short: its (1 program|2 section) headers of (56|64) bytes at byte \d+ end past"):
        elf_facts(_elf(interp=False, symtab=True)[:cut])


def test_offsets_pointing_far_outside_the_file_are_explained():
    data = bytearray(_elf(interp=False, symtab=False))
    struct.pack_into("<Q", data, 40, 1 << 40)  # e_shoff: a terabyte in
    with pytest.raises(ElfError, match="its 2 section headers of 64 bytes at byte 1099511627776 end past its 248 bytes"):
        elf_facts(bytes(data))


@pytest.mark.parametrize("byte, value, message", [
    (4, 0, r"class \(EI_CLASS, byte 4\) is 0: neither 1 \(32-bit\) nor 2 \(64-bit\)"),
    (4, 3, r"EI_CLASS, byte 4\) is 3"),
    (5, 0, r"byte order \(EI_DATA, byte 5\) is 0: neither 1 \(little-endian\) nor 2 \(big-endian\)"),
    (5, 255, r"EI_DATA, byte 5\) is 255"),
])
def test_an_unknown_class_or_byte_order_is_refused(byte, value, message):
    data = bytearray(_elf(interp=False, symtab=False))
    data[byte] = value
    with pytest.raises(ElfError, match=message):
        elf_facts(bytes(data))


def test_table_entries_too_small_for_their_type_are_explained():
    data = bytearray(_elf(interp=False, symtab=False))
    struct.pack_into("<H", data, 58, 6)  # e_shentsize: 6 bytes, and sh_type is at 4..8
    with pytest.raises(ElfError, match="section headers are 6 bytes each, too small to hold their type"):
        elf_facts(bytes(data))


def test_elf_errors_are_dockerlab_errors_never_struct_or_index_errors():
    data = _elf(interp=True, symtab=True)
    for cut in range(len(data)):
        with pytest.raises(ElfError):
            elf_facts(data[:cut])
    assert issubclass(ElfError, DockerlabError)
