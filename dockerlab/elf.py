"""What an ELF binary's headers say: its machine, whether it is static, whether it is stripped.

A few reads with `struct` rather than pyelftools, because a lesson reads them. Every read is
bounds-checked: a file that is not ELF, cut short, or of an unknown class or byte order raises
`ElfError`, never `struct.error` or `IndexError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import ElfError

__all__ = ["ElfFacts", "elf_facts"]

_MACHINES = {0x3E: "x86-64", 0xB7: "arm64", 0x03: "x86", 0x28: "arm", 0xF3: "riscv64", 0x16: "s390x", 0x15: "ppc64"}
_CLASSES = {1: "32-bit", 2: "64-bit"}
_BYTE_ORDERS = {1: "<", 2: ">"}  # EI_DATA: little-endian, big-endian
# Per class: the ELF header's size, where e_phoff and e_shoff sit and their format, and where
# the five header fields from e_phentsize to e_shstrndx start.
_LAYOUT = {1: (52, 28, "II", 42), 2: (64, 32, "QQ", 54)}
PT_INTERP, SHT_SYMTAB = 3, 2


@dataclass(frozen=True)
class ElfFacts:
    """What the ELF header and tables of a binary say."""

    size: int
    machine: str
    static: bool  # no program interpreter (dynamic loader) is named
    stripped: bool  # no symbol table (.symtab)


def elf_facts(data: bytes) -> ElfFacts:
    """Read the ELF header, program headers and section headers of a 64- or 32-bit binary."""
    if data[:4] != b"\x7fELF":
        raise ElfError("That file is not an ELF binary (it does not start with 0x7f 'ELF').")
    ei_class, ei_data = data[4:5], data[5:6]
    if not ei_class or ei_class[0] not in _CLASSES:
        raise ElfError(f"That ELF file's class (EI_CLASS, byte 4) is {_byte(ei_class)}: neither 1 (32-bit) nor 2 (64-bit).")
    if not ei_data or ei_data[0] not in _BYTE_ORDERS:
        raise ElfError(f"That ELF file's byte order (EI_DATA, byte 5) is {_byte(ei_data)}: neither 1 (little-endian) "
                       "nor 2 (big-endian).")
    header_size, offsets_at, offsets, sizes_at = _LAYOUT[ei_class[0]]
    end = _BYTE_ORDERS[ei_data[0]]
    if len(data) < header_size:
        raise ElfError(f"That ELF file is cut short: a {_CLASSES[ei_class[0]]} ELF header takes {header_size} bytes, "
                       f"and the file has {len(data)}.")
    machine, = struct.unpack_from(end + "H", data, 18)
    phoff, shoff = struct.unpack_from(end + offsets, data, offsets_at)
    phentsize, phnum, shentsize, shnum, _ = struct.unpack_from(end + "HHHHH", data, sizes_at)
    interp = PT_INTERP in _types(data, end, phoff, phnum, phentsize, "program header", field=0)
    symtab = SHT_SYMTAB in _types(data, end, shoff, shnum, shentsize, "section header", field=4)
    return ElfFacts(size=len(data), machine=_MACHINES.get(machine, f"machine {machine:#x}"),
                    static=not interp, stripped=not symtab)


def _types(data: bytes, end: str, offset: int, count: int, size: int, what: str, *, field: int) -> set[int]:
    """The type word (at `field` in each entry) of a table of `count` entries of `size` bytes at
    `offset`; `ElfError` when the table does not fit in the file or its entries cannot hold the word."""
    if not count:
        return set()
    if size < field + 4:
        raise ElfError(f"That ELF file's {what}s are {size} bytes each, too small to hold their type.")
    if offset + count * size > len(data):
        raise ElfError(f"That ELF file is cut short: its {count} {what}s of {size} bytes at byte {offset} "
                       f"end past its {len(data)} bytes.")
    return {struct.unpack_from(end + "I", data, offset + i * size + field)[0] for i in range(count)}


def _byte(value: bytes) -> str:
    return str(value[0]) if value else "missing (the file ends there)"
