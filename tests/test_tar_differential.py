"""dockerlab._tar against tarfile, member by member, on archives generated here at random.

Each seed makes one archive: ustar, GNU or PAX (with global headers), long names and link names,
ustar name prefixes, hard links, symlinks, directories, devices, fifos, empty and big-ish files,
unknown types, huge ids and negative or fractional times, some headers with an old signed
checksum, GNU sparse files (old 'S' headers and PAX sparse 0.0, 0.1 and 1.0) and PAX size
records, which tarfile reads but does not write. The stream is cut in random chunks; every header field `_tar` reads
and every regular file's content must be what tarfile reads, and a cut archive must give a
prefix of tarfile's members before it raises.
"""

from __future__ import annotations

import io
import random
import tarfile

import pytest

from dockerlab import _tar
from dockerlab.feed import Feed

SEEDS = range(80)
FORMATS = (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT)
LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789._-"


# --- archives ---------------------------------------------------------------------------------

def _name(rng: random.Random, long: bool) -> str:
    parts = ["".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 70 if long else 12)))
             for _ in range(rng.randint(1, 6 if long else 3))]
    if rng.random() < 0.15:
        parts[-1] += rng.choice(["é", "ü", "日本"])
    name = "/".join(parts)
    return rng.choice(["", "", "", "./", "/"]) + name


def _content(rng: random.Random) -> bytes:
    size = rng.choice([0, 0, 1, 511, 512, 513, 1024, rng.randint(1, 20_000), rng.randint(1, 200_000)])
    if rng.random() < 0.04:
        size = rng.randint(1 << 20, 3 << 20)  # big-ish
    return rng.randbytes(min(size, 4096)) * (size // 4096) + rng.randbytes(size % 4096)


def _member(rng: random.Random, fmt: int, files: list[str]) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(_name(rng, rng.random() < 0.3))
    info.mode = rng.choice([0o644, 0o755, 0o4755, 0o100755, 0o777])
    info.uid, info.gid = rng.choice([(0, 0), (1000, 1000), (65532, 65532), (3_000_000, 2**22), (2**30, 7)])
    info.uname, info.gname = rng.choice([("", ""), ("root", "root"), ("nonroot", "staff"), ("ädmin", "wheel"),
                                         ("u" * 40, "g" * 40)])  # PAX records for the last two
    info.mtime = rng.choice([0, 1_700_000_000, 2**33 + 5, -1_000]) if fmt == tarfile.GNU_FORMAT else \
        rng.choice([0, 1_700_000_000, 1_700_000_000.25]) if fmt == tarfile.PAX_FORMAT else 1_700_000_000
    kind = rng.choice(["file"] * 6 + ["dir", "dir", "symlink", "hardlink", "fifo", "chr", "blk", "unknown"])
    data = None
    if kind == "file":
        data = _content(rng)
        info.type = rng.choice([tarfile.REGTYPE] * 5 + [tarfile.AREGTYPE, tarfile.CONTTYPE])
    elif kind == "unknown":
        data, info.type = rng.randbytes(rng.randint(0, 2000)), b"V"
    elif kind == "dir":
        info.type = tarfile.DIRTYPE
        info.name += rng.choice(["", "/"])
    elif kind in ("symlink", "hardlink"):
        info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
        info.linkname = rng.choice(files) if files and rng.random() < 0.7 else _name(rng, rng.random() < 0.4)
    else:
        info.type = {"fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE}[kind]
        info.devmajor, info.devminor = rng.randint(0, 255), rng.randint(0, 255)
    if data is not None:
        info.size = len(data)
        if kind == "file":
            files.append(info.name)
    return info, data


def _header(name: str, kind: bytes, size: int, fields: dict[int, bytes] | None = None) -> bytes:
    """A GNU header block for the sparse members tarfile cannot write."""
    block = bytearray(512)
    block[0:len(name)] = name.encode()
    block[100:108], block[108:116], block[116:124] = b"0000644\0", b"0000000\0", b"0000000\0"
    block[124:136], block[136:148] = b"%011o\0" % size, b"%011o\0" % 1_700_000_000
    block[156:157], block[257:265] = kind, b"ustar  \0"
    for offset, value in (fields or {}).items():
        block[offset:offset + len(value)] = value
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def _pax(records: list[tuple[str, str]]) -> bytes:
    """A PAX 'x' header and its records ("<length> <key>=<value>\\n", keys may repeat), padded."""
    body = b""
    for key, value in records:
        line = f" {key}={value}\n".encode()
        length = len(line) + 1
        while len(str(length)) + len(line) != length:
            length = len(str(length)) + len(line)
        body += str(length).encode() + line
    return _header("././@PaxHeader", b"x", len(body)) + body + bytes(-len(body) % 512)


def _sparse(rng: random.Random) -> bytes:
    """One GNU sparse member, in one of its four formats, with its data."""
    extents = sorted(rng.sample(range(0, 200), rng.choice([1, 3, 4, 5, 9, 26, 50])))  # > 4: extension blocks
    pairs = [(offset * 4096, rng.randint(1, 4096)) for offset in extents]
    data = b"".join(rng.randbytes(n) for _, n in pairs)
    real = pairs[-1][0] + pairs[-1][1] + rng.randint(0, 10_000)
    name, style = _name(rng, False), rng.choice(["old", "0.0", "0.1", "1.0"])
    padded = data + bytes(-len(data) % 512)
    if style == "old":
        first, rest = pairs[:4], pairs[4:]
        fields = {386 + 24 * i: b"%011o\0%011o\0" % pair for i, pair in enumerate(first)}
        fields.update({482: bytes([bool(rest)]), 483: b"%011o\0" % real})
        out = _header(name, b"S", len(data), fields)
        while rest:
            block = bytearray(512)
            for i, pair in enumerate(rest[:21]):
                block[24 * i:24 * i + 24] = b"%011o\0%011o\0" % pair
            rest = rest[21:]
            block[504] = bool(rest)
            out += bytes(block)
        return out + padded
    if style == "1.0":  # the map leads the data
        sparse_map = "\n".join(map(str, [len(pairs), *[n for pair in pairs for n in pair]])) + "\n"
        body = sparse_map.encode() + bytes(-len(sparse_map) % 512) + data
        records = [("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"), ("GNU.sparse.name", name),
                   ("GNU.sparse.realsize", str(real))]
        return _pax(records) + _header("GNUSparseFile.0/x", b"0", len(body)) + body + bytes(-len(body) % 512)
    records = [("GNU.sparse.size", str(real)), ("GNU.sparse.numblocks", str(len(pairs)))]
    if style == "0.1":
        records.append(("GNU.sparse.map", ",".join(str(n) for pair in pairs for n in pair)))
    else:  # 0.0: an offset and a numbytes record per extent
        records += [(key, str(n)) for pair in pairs for key, n in zip(("GNU.sparse.offset", "GNU.sparse.numbytes"), pair)]
    return _pax(records) + _header(name, b"0", len(data)) + padded


def _pax_sized(rng: random.Random) -> bytes:
    """A member whose PAX size record overrides its header's (tarfile writes one only past 8 GiB)."""
    data = rng.randbytes(rng.randint(0, 3000))
    return _pax([("size", str(len(data)))]) + _header(_name(rng, False), b"0", rng.choice([0, 7, 100_000])) + \
        data + bytes(-len(data) % 512)


def _signed_checksums(data: bytearray, rng: random.Random) -> None:
    """Rewrite some plain headers' checksums as old tars did: a sum of signed bytes."""
    with tarfile.open(fileobj=io.BytesIO(bytes(data))) as tar:
        plain = [m.offset for m in tar.getmembers() if m.offset_data - m.offset == 512 and not m.issparse()]
    for offset in rng.sample(plain, min(len(plain), 3)):
        block = data[offset:offset + 512]
        signed = 256 + sum(b - 256 if b > 127 else b for b in block[:148] + block[156:])
        data[offset + 148:offset + 156] = b"%06o\0 " % signed


def archive(seed: int) -> bytes:
    """The archive of one seed."""
    rng = random.Random(seed)
    fmt = FORMATS[seed % 3]
    pax = {"comment": "global", "uid": "7"} if fmt == tarfile.PAX_FORMAT and rng.random() < 0.4 else {}
    out, files = io.BytesIO(), []
    with tarfile.open(fileobj=out, mode="w", format=fmt, pax_headers=pax) as tar:
        for _ in range(rng.randint(1, 40)):
            info, data = _member(rng, fmt, files)
            try:
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
            except ValueError:
                continue  # more than this format can hold (a long link name in ustar, a huge id)
            by_hand = _sparse(rng) if fmt == tarfile.GNU_FORMAT else _pax_sized(rng) if fmt == tarfile.PAX_FORMAT else b""
            if by_hand and rng.random() < 0.15:  # what tarfile does not write, written here
                tar.fileobj.write(by_hand)
                tar.offset = tar.fileobj.tell()
    data = bytearray(out.getvalue())
    if fmt != tarfile.PAX_FORMAT:
        _signed_checksums(data, rng)
    return bytes(data)


# --- the two readers ---------------------------------------------------------------------------

def by_tarfile(data: bytes) -> list[tuple]:
    rows = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            content = tar.extractfile(m).read() if m.isreg() and not m.issparse() else None
            start = None if m.issparse() else m.offset_data
            rows.append((m.name, m.type, m.size, m.mode, m.uid, m.gid, m.linkname,
                         float(m.mtime), m.uname, m.gname, bool(m.pax_headers), start, content))
    return rows


def by_tar(chunks, *, sparse: set[str] = frozenset()) -> list[tuple]:
    rows = []
    feed = Feed(chunks)
    for entry in _tar.entries(feed):
        name = entry[_tar.NAME]
        regular = entry[_tar.TYPE] in (b"0", b"\0", b"7") and name not in sparse
        content = feed.read(entry[_tar.SIZE]) if regular else None  # read into it: the rest is skipped
        mtime, uname, gname = _tar.owner(entry)
        rows.append((name, entry[_tar.TYPE], entry[_tar.SIZE], entry[_tar.MODE], entry[_tar.UID], entry[_tar.GID],
                     entry[_tar.LINKNAME], float(mtime), uname, gname, bool(entry[_tar.PAX]),
                     None if name in sparse else entry[_tar.START], content))
    return rows


def cut(data: bytes, rng: random.Random):
    """`data` in chunks of random sizes, some empty."""
    pos = 0
    while pos < len(data):
        size = rng.choice([0, 1, 7, 512, 513, 4096, 65536, rng.randint(1, 300_000)])
        yield data[pos:pos + size]
        pos += size


@pytest.mark.parametrize("seed", SEEDS)
def test_every_member_reads_as_tarfile_reads_it(seed: int) -> None:
    data = archive(seed)
    expected = by_tarfile(data)
    sparse = {row[0] for row in expected if row[11] is None}
    rng = random.Random(-seed)
    assert by_tar(cut(data, rng), sparse=sparse) == expected
    assert by_tar([data], sparse=sparse) == expected


@pytest.mark.parametrize("seed", SEEDS[::4])
def test_a_cut_archive_gives_tarfiles_first_members_then_fails(seed: int) -> None:
    data = archive(seed)
    expected = [row[0] for row in by_tarfile(data)]
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.getmembers()
        end_marker = tar.offset
    rng = random.Random(seed)
    for end in sorted(rng.sample(range(1, end_marker), min(6, end_marker - 1))):
        names, failed = [], False
        try:
            for entry in _tar.entries(Feed(cut(data[:end], rng))):
                names.append(entry[_tar.NAME])
        except tarfile.ReadError:
            failed = True
        assert failed and names == expected[:len(names)], end


def test_the_formats_and_kinds_are_all_generated() -> None:
    """The seeds above do make what the module docstring says they make."""
    seen: set = set()
    for seed in SEEDS:
        data = archive(seed)
        for row in by_tarfile(data):
            seen.add(row[1])
            seen.add("sparse" if row[11] is None else "long name" if len(row[0]) > 100 else None)
            seen.add("long owner" if len(row[8]) > 32 else "non-ascii owner" if not row[8].isascii() else None)
            seen.add("long link" if len(row[6]) > 100 else "pax" if row[10] else None)
            seen.add("big" if row[2] > 1 << 20 else "empty" if row[2] == 0 and row[1] == b"0" else None)
        seen.add(data[257:265])
    assert {b"0", b"\0", b"7", b"5", b"2", b"1", b"3", b"4", b"6", b"V", b"S"} <= seen
    assert {"sparse", "long name", "long link", "pax", "big", "empty", "long owner", "non-ascii owner"} <= seen
    extended = 0  # old GNU sparse members with extension headers
    for seed in SEEDS:
        with tarfile.open(fileobj=io.BytesIO(archive(seed))) as tar:
            extended += sum(m.type == b"S" and len(m.sparse) > 4 for m in tar.getmembers())
    assert extended
    assert {b"ustar\x0000", b"ustar  \x00"} <= seen
