"""dockerlab: the helpers behind the multi-stage Docker builds tutorial.

Notebooks call these; they talk to a real Docker engine through the Docker SDK for Python.
"""

from .bases import BaseImage, resolve
from .build import BuildResult, build
from .containers import RunResult, calculate, run
from .dockerfiles import dockerfile
from .engine import EngineInfo, connect
from .errors import (ArchiveError, BaseUnavailable, BuildFailed, DockerlabError, EngineUnavailable,
                     ImageNotFound, KitError)
from .kit import kit_load, kit_save
from .naming import image_name
from .preflight import Check, preflight

__all__ = [
    "ArchiveError", "BaseImage", "Check", "BaseUnavailable", "BuildFailed", "BuildResult", "DockerlabError",
    "EngineInfo", "EngineUnavailable", "ImageNotFound", "KitError", "RunResult",
    "build", "calculate", "connect", "dockerfile", "image_name", "kit_load", "kit_save", "preflight", "resolve", "run",
]
