"""`dockerlab.readable`: digests, JSON and archive listings as lesson 07 shows them."""

import io
import tarfile

from dockerlab import readable

HEX = "0123456789abcdef" * 4


def test_short_keeps_the_prefix_and_twelve_digits():
    assert readable.short(f"sha256:{HEX}") == "sha256:0123456789ab"


def test_show_shortens_bare_digests_and_gives_sizes_a_unit(capsys):
    readable.show({"digest": f"sha256:{HEX}", "layers": [HEX], "size": 1234567})
    out = capsys.readouterr().out
    assert f'"digest": "sha256:{HEX}"' in out  # a digest with its algorithm stays whole
    assert '"0123456789ab…"' in out and HEX not in out.replace(f"sha256:{HEX}", "")
    assert '"size": 1,234,567 bytes' in out


def test_listing_names_each_entry_with_its_size(tmp_path):
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in ((f"blobs/sha256/{HEX}", b"x" * 1500), ("index.json", b"{}")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    table = readable.listing(path)
    assert table.values.tolist() == [["blobs/sha256/0123456789ab…", "1,500 bytes"], ["index.json", "2 bytes"]]
