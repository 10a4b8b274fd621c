"""The toolchains' installs, built and tagged so that later builds take them from the build cache.

The engine fixture (conftest.py) keeps some for a pytest session, or for the whole of
scripts/test.sh's run under $DOCKERLAB_TOOLCHAINS_PREFIX. scripts/test.sh also runs this file
on the second engine while that engine is idle (the host's notebooks), for its notebooks and
every-variant test after:

    python tests/toolchains.py python bad-order buildkit
"""

from __future__ import annotations

import os
import sys

TOOLCHAINS = {  # what each kind builds: (variant, target, builder); each starts with a costly install
    "go": (("multi-stage", "build", "legacy"), ("stripped", "build", "legacy")),  # golang-go, with and without recommends
    "python": (("python-multi-stage", "build", "legacy"), ("python-single-stage", None, "legacy")),
    "bad-order": (("bad-order", "build", "legacy"),),  # its install comes after the source: lesson 05 builds it first
    "buildkit": (("single-stage", None, "buildkit"), ("python-single-stage", None, "buildkit")),  # BuildKit's cache is its own
}


def keep(kinds, *, client=None) -> list[str]:
    """Build the toolchains of `kinds` (keys of TOOLCHAINS) under the current prefix; return their tags."""
    import dockerlab
    from dockerlab import python_case
    from dockerlab.progress import SilentReporter

    tags = []
    for kind in kinds:
        for variant, target, builder in TOOLCHAINS[kind]:
            context = None
            if variant.startswith("python-"):
                python_case.fetch_sources()
                context = python_case.PYCALC
            tag = dockerlab.image_name(f"{variant}-{target or 'image'}-{builder}")
            tags.append(dockerlab.build(variant, target=target, context=context, builder=builder, tag=tag,
                                        client=client, reporter=SilentReporter()).tag)
    return tags


if __name__ == "__main__":
    unknown = set(sys.argv[1:]) - set(TOOLCHAINS)
    if unknown or "DOCKERLAB_PREFIX" not in os.environ:
        sys.exit(f"usage: DOCKERLAB_PREFIX=... python tests/toolchains.py {' '.join(TOOLCHAINS)} (not {sorted(unknown)})")
    for built in keep(sys.argv[1:]):
        print(built)
