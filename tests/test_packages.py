"""`packages`: dpkg's status file and the chain of relations that pulled a package in, on a small
status file written here, and on the single-stage image."""

from __future__ import annotations

import pytest

from dockerlab import DockerlabError, packages

STATUS = """\
Package: golang-go
Status: install ok installed
Depends: golang-1.19-go, golang-src (>= 2:1.19~1)

Package: golang-1.19-go
Status: install ok installed
Depends: golang-1.19-src (>= 1.19.8-2)
Recommends: g++, gcc,
 libc6-dev | libc-dev, pkg-config

Package: libc6-dev
Status: install ok installed
Depends: libc6 (= 2.36-9), libc-dev-bin (= 2.36-9)
Recommends: gcc | c-compiler

Package: libc-dev-bin
Status: install ok installed
Recommends: libc-devtools (>> 2.36-9)

Package: libc-devtools
Status: install ok installed
Depends: libgd3 (>= 2.1.0~alpha~)

Package: libgd3
Status: install ok installed
Depends: libheif1 (>= 1.3.2), libc6:any

Package: libheif1
Status: install ok installed
Depends: libx265-199

Package: libx265-199
Status: install ok installed

Package: gcc
Status: install ok installed
Provides: c-compiler

Package: libc6
Status: install ok installed

Package: removed-one
Status: deinstall ok config-files
Depends: libx265-199
"""


def test_only_installed_packages_are_read_with_their_relations():
    installed = packages.parse_status(STATUS)
    assert "removed-one" not in installed and len(installed) == 10
    assert installed["golang-1.19-go"].relations["Recommends"] == (("g++",), ("gcc",), ("libc6-dev", "libc-dev"),
                                                                  ("pkg-config",))
    assert installed["libgd3"].relations["Depends"] == (("libheif1",), ("libc6",))
    assert installed["gcc"].provides == ("c-compiler",)


def test_the_chain_goes_through_a_recommendation():
    steps = packages.chain(packages.parse_status(STATUS), "golang-go", "libx265-199")
    assert steps == [("golang-go", "depends", "golang-1.19-go"), ("golang-1.19-go", "recommends", "libc6-dev"),
                     ("libc6-dev", "depends", "libc-dev-bin"), ("libc-dev-bin", "recommends", "libc-devtools"),
                     ("libc-devtools", "depends", "libgd3"),
                     ("libgd3", "depends", "libheif1"), ("libheif1", "depends", "libx265-199")]
    assert packages.chain(packages.parse_status(STATUS), "gcc", "gcc") == []


def test_a_virtual_package_leads_to_its_provider():
    installed = packages.parse_status(STATUS.replace("gcc | c-compiler", "c-compiler"))
    assert ("libc6-dev", "recommends", "gcc") in packages.chain(installed, "libc6-dev", "gcc")


@pytest.mark.parametrize("start, target, because", [
    ("golang-go", "vim", "vim is not installed"),
    ("libc6", "libx265-199", "No chain of Pre-Depends, Depends, Recommends leads from libc6 to libx265-199"),
])
def test_no_chain_is_explained(start, target, because):
    with pytest.raises(DockerlabError, match=because):
        packages.chain(packages.parse_status(STATUS), start, target)


def test_on_the_single_stage_image(engine, test_prefix, cleanup):
    import dockerlab

    tag = dockerlab.build("single-stage").tag
    cleanup.append(tag)
    go = dockerlab.run(tag, "-f", "/usr/bin/go", entrypoint=["readlink"]).stdout.strip()  # /usr/lib/go-1.NN/bin/go
    versioned = f"golang-{go.split('/')[3].removeprefix('go-')}-go"
    nowhere = "/no/such/file"
    assert packages.owners(tag, [go, nowhere]) == {go: versioned}
    table = packages.why(tag, [go, nowhere])
    assert table.to_dict("records") == [
        {"path": go, "package": versioned, "chain": f"golang-go → {versioned}", "recommended by": ""},
        {"path": nowhere, "package": "(no package)", "chain": "", "recommended by": ""}]
    with pytest.raises(DockerlabError, match="found no package for any of 1 paths"):
        packages.owners(tag, [nowhere])
