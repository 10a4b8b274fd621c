"""Both builders build every calculator of dockerfiles/ to the same answers (issue #13's acceptance).

Each variant is built under the test's prefix by the legacy builder (where it can: lesson 09's
BuildKit-only Dockerfiles are left out of its list) and by BuildKit, by whichever route serves on
this engine, and each image answers the same expressions. The answers are compared with the ones
every calculator must give, and a variant that cannot run (lesson 08's Python `FROM scratch`) must
fail the same way from both builders. `secret-arg` and `secret-mount` make no calculator: lesson 09
and `tests/test_buildkit_routes.py` check what they leave in the image.
"""

from __future__ import annotations

import pytest

from dockerlab import python_case
from dockerlab.dockerfiles import variants

EXPRESSIONS = ["2 + 3", "2*(3+4)", "-2^2", "2^3^2", "7 % 3", "1/3", "8 / 0"]
ANSWERS = ["5", "14", "-4", "512", "1", "0.3333333333333333"]  # the last expression must fail
LINES = "".join(f"{expression}\n" for expression in EXPRESSIONS)
NOT_CALCULATORS = {"secret-arg", "secret-mount"}
CANNOT_RUN = {"python-scratch"}  # its python is a link to an interpreter the image does not have
CALCULATORS = [(v, "calculator") for v in variants(builder="buildkit") if v not in NOT_CALCULATORS] + \
              [(v, "pycalc") for v in variants(builder="buildkit", context="pycalc")]


@pytest.mark.parametrize("variant, context", CALCULATORS, ids=[v for v, _ in CALCULATORS])
def test_both_builders_give_the_same_answers(variant, context, engine, test_prefix, cleanup):
    import dockerlab
    from dockerlab.progress import SilentReporter

    folder = python_case.PYCALC if context == "pycalc" else None
    if folder:
        python_case.fetch_sources()
    builders = ["legacy", "buildkit"] if variant in variants(context=context) else ["buildkit"]
    answers = {}
    for builder in builders:
        tag = dockerlab.image_name(f"{variant}-{builder}")
        cleanup.append(tag)
        dockerlab.build(variant, builder=builder, tag=tag, context=folder, reporter=SilentReporter())
        # One container reads every expression, a line each, instead of one container each: that
        # was about 200 containers for the test, 0.33 s each on the host's engine (2026-12-02).
        answers[builder] = dockerlab.run(tag, stdin=LINES)
    first = answers[builders[0]]
    for builder, result in answers.items():
        assert result == first, f"{variant}: the {builder} image answers\n{result}\nthe {builders[0]} one\n{first}"
    if variant in CANNOT_RUN:
        assert first.exit_code != 0 and first.stdout == "", f"{variant} ran: {first}"
    else:
        assert first.stdout.splitlines() == ANSWERS, first
        assert first.exit_code == 1 and f"line {len(EXPRESSIONS)}: col 3: division by zero" in first.stderr, first
