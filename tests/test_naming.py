"""Names and labels under a prefix."""

import pytest

from dockerlab import naming
from dockerlab.errors import DockerlabError


def test_default_prefix(monkeypatch):
    monkeypatch.delenv("DOCKERLAB_PREFIX", raising=False)
    assert naming.image_name("multi-stage") == "dockerlab/multi-stage:latest"
    assert naming.image_name("multi-stage:v2") == "dockerlab/multi-stage:v2"
    assert naming.labels("lesson", variant="x") == {
        "dockerlab.tutorial": "dockerlab/", "dockerlab.tutorial.role": "lesson", "dockerlab.tutorial.variant": "x"}
    assert naming.label_filter() == {"label": "dockerlab.tutorial=dockerlab/"}


def test_prefix_from_environment(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PREFIX", "alice/")
    assert naming.image_name("single-stage") == "alice/single-stage:latest"
    assert naming.label_filter() == {"label": "dockerlab.tutorial=alice/"}


@pytest.mark.parametrize("bad", ["Alice/", "a b/", "/x", "x//"])
def test_invalid_prefix_is_explained(monkeypatch, bad):
    monkeypatch.setenv("DOCKERLAB_PREFIX", bad)
    with pytest.raises(DockerlabError, match="DOCKERLAB_PREFIX"):
        naming.prefix()
