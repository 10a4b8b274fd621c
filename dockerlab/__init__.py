"""dockerlab: the helpers behind the multi-stage Docker builds tutorial.

Notebooks call these; they talk to a real Docker engine through the Docker SDK for Python.
"""

from .bases import BaseImage, kit_load, kit_save, resolve
from .build import BuildResult, build, dockerfile
from .containers import RunResult, calculate, run
from .engine import EngineInfo, connect
from .errors import (ArchiveError, BaseUnavailable, BuildFailed, DockerlabError, EngineUnavailable,
                     ImageNotFound, KitError)
from .naming import image_name
from .preflight import Check, preflight

__all__ = [
    "ArchiveError", "BaseImage", "Check", "BaseUnavailable", "BuildFailed", "BuildResult", "DockerlabError",
    "EngineInfo", "EngineUnavailable", "ImageNotFound", "KitError", "RunResult",
    "build", "calculate", "connect", "dockerfile", "image_name", "kit_load", "kit_save", "preflight", "resolve", "run",
]
