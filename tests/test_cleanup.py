"""`cleanup.clean` and ``python -m dockerlab clean`` on a fake engine: what they remove, in which
order, and what they keep and say. The real engine's cases are in test_build.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from docker.errors import APIError, NotFound

from dockerlab import cleanup, cli, naming

PREFIX = "dockerlab-test-clean/"
OURS = {naming.LABEL: PREFIX}


class FakeEngine:
    """Images and containers as the SDK lists them, filtered by label or ancestor; removals are logged."""

    def __init__(self, images: list[dict], containers: list[dict], refuse: dict | None = None) -> None:
        self.images_, self.containers_, self.refuse, self.removed = images, containers, refuse or {}, []
        self.images = SimpleNamespace(list=self._images, remove=self._remove_image, get=self._get_image)
        self.api = SimpleNamespace(images=lambda all: [{"Id": i["id"], "ParentId": i.get("parent") or "",
                                                        "RepoTags": list(i["tags"]) or None} for i in self.images_])
        self.containers = SimpleNamespace(list=self._containers)

    def _images(self, filters):
        key, _, value = filters["label"].partition("=")
        return [SimpleNamespace(id=i["id"], short_id=i["id"][:6], tags=list(i["tags"]), labels=i["labels"],
                                attrs={"Created": i["created"]})
                for i in self.images_ if i["tags"] and key in i["labels"] and (not value or i["labels"][key] == value)]

    def _get_image(self, ref):
        for i in self.images_:
            if ref == i["id"] or ref in i["tags"]:
                return SimpleNamespace(id=i["id"])
        raise NotFound(f"no such image: {ref}")

    def _remove_image(self, ref, noprune=False, force=False):
        if ref in self.refuse:
            raise self.refuse[ref]
        self.removed.append((ref, noprune))
        untagged = [i["id"] for i in self.images_ if list(i["tags"]) == [ref]]  # its last name: it goes
        for i in self.images_:
            i["tags"] = tuple(t for t in i["tags"] if t != ref)
        self.images_ = [i for i in self.images_ if i["id"] != ref and i["id"] not in untagged]

    def _containers(self, all, filters):
        if "ancestor" in filters:
            chosen = [c for c in self.containers_ if c["image"] == filters["ancestor"]]
        else:
            key, _, value = filters["label"].partition("=")
            chosen = [c for c in self.containers_ if c["labels"].get(key) == value]
        return [SimpleNamespace(name=c["name"], remove=lambda force, c=c: self._remove_container(c, force))
                for c in chosen]

    def _remove_container(self, container: dict, force: bool) -> None:
        self.containers_.remove(container)
        self.removed.append((container["name"], force))


def image(id: str, created: str, *tags: str, parent: str | None = None, **labels: str) -> dict:
    """An image as the fake lists it; one with a `parent` (a build's step) stays when untagged."""
    return {"id": id, "created": created, "tags": tags, "labels": labels, "parent": parent}


@pytest.fixture()
def fake(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PREFIX", PREFIX)
    engine = FakeEngine(
        images=[image("sha256:old", "2024-01-01", f"{PREFIX}a:latest", **OURS),
                image("sha256:new", "2024-01-02", f"{PREFIX}b:latest", f"{PREFIX}b:v2", **OURS),
                image("sha256:used", "2024-01-03", f"{PREFIX}c:latest", **OURS),
                image("sha256:base", "2023-12-01", "dockerlab/debian:bookworm",
                      **{naming.LABEL: "shared", f"{naming.LABEL}.role": "base"}),
                image("sha256:mine", "2024-01-04", "mine:latest")],
        containers=[{"name": "tutorials", "image": "sha256:new", "labels": naming.container_labels()},
                    {"name": "learners", "image": "sha256:used", "labels": OURS}])  # inherited from its image
    monkeypatch.setattr(cleanup, "connect", lambda: (engine, None))
    return engine


def test_clean_removes_the_tutorials_containers_then_its_images_newest_first(fake):
    done = cleanup.clean()
    assert fake.removed == [("tutorials", True), (f"{PREFIX}b:latest", True), (f"{PREFIX}b:v2", True),
                              (f"{PREFIX}a:latest", True)]
    assert done.removed == 3
    assert done.notes == (f"kept {PREFIX}c:latest: your container learners uses it "
                          "(remove it with docker rm learners, then clean again)",)


def test_without_prune_it_untags_with_noprune(fake):
    assert cleanup.clean(prune=False).removed == 3
    assert {noprune for ref, noprune in fake.removed if ref.startswith(PREFIX)} == {True}


def test_parents_go_only_when_nothing_else_builds_on_them(monkeypatch):
    # base <- install <- ours (this prefix's); install <- bob's (another prefix's); ours <- step <- top.
    monkeypatch.setenv("DOCKERLAB_PREFIX", PREFIX)
    engine = FakeEngine(images=[
        image("sha256:base", "2024-01-01", "debian:bookworm", parent=""),
        image("sha256:install", "2024-01-02", parent="sha256:base"),
        image("sha256:mine-step", "2024-01-03", parent="sha256:install"),
        image("sha256:top", "2024-01-04", f"{PREFIX}a:latest", parent="sha256:mine-step", **OURS),
        image("sha256:bob", "2024-01-05", "bob/b:latest", parent="sha256:install", **{naming.LABEL: "bob/"}),
    ], containers=[])
    monkeypatch.setattr(cleanup, "connect", lambda: (engine, None))
    assert cleanup.clean().removed == 1
    assert engine.removed == [(f"{PREFIX}a:latest", True), ("sha256:mine-step", True)]
    assert {i["id"] for i in engine.images_} == {"sha256:base", "sha256:install", "sha256:bob"}


def test_remove_images_takes_unused_parents_and_passes_over_one_gone(monkeypatch):
    engine = FakeEngine(images=[
        image("sha256:base", "2024-01-01", "debian:bookworm", parent=""),
        image("sha256:step", "2024-01-02", parent="sha256:base"),
        image("sha256:top", "2024-01-03", "t/a:latest", parent="sha256:step"),
    ], containers=[])
    cleanup.remove_images(engine, ["t/a:latest", "t/gone:latest"])
    assert engine.removed == [("t/a:latest", True), ("sha256:step", True)]
    assert [i["id"] for i in engine.images_] == ["sha256:base"]


def test_bases_are_removed_only_when_no_other_prefix_builds_on_them(fake):
    cleanup.clean(bases=True)
    assert ("dockerlab/debian:bookworm", True) in fake.removed
    fake.removed.clear()
    fake.images_.append(image("sha256:bob", "2024-01-05", "bob/a:latest", **{naming.LABEL: "bob/"}))
    done = cleanup.clean(bases=True)
    assert "dockerlab/debian:bookworm" not in [ref for ref, _ in fake.removed]
    assert "kept the Debian base stand-ins: the images of bob/ build on them" in done.notes


def test_an_image_gone_already_counts_and_a_refused_one_is_noted(fake):
    fake.refuse = {f"{PREFIX}a:latest": NotFound("gone"),
                     f"{PREFIX}b:latest": APIError("conflict", explanation="image is being used")}
    done = cleanup.clean()
    assert done.removed == 2  # the container, and the image gone already
    assert f"kept {PREFIX}b:latest, {PREFIX}b:v2: image is being used" in done.notes


def test_the_command_prints_the_count_and_the_notes_and_empties_the_file_cache(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOCKERLAB_OUTPUT", str(tmp_path))
    (tmp_path / "cache" / "files").mkdir(parents=True)
    assert cli.main(["clean"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"Removed 3 tutorial containers and images under {PREFIX!r} "
                      "(Debian base stand-ins kept; --bases removes them too).")
    assert out[1] == f"  kept {PREFIX}c:latest: your container learners uses it (remove it with docker rm learners, then clean again)."
    assert not (tmp_path / "cache" / "files").exists()
