"""Lesson 01's exercise: the learner's cell holds a placeholder, the check cell says "not answered
yet" while it stands, the solution lives only in a collapsed <details> block, and that solution,
taken from the notebook itself, passes `checks.check_predictions` while wrong answers fail."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from dockerlab import checks

LESSON = Path(__file__).resolve().parent.parent / "notebooks" / "01-calculator.ipynb"
CALC = "/usr/local/bin/calc"
CHECK = "checks.check_predictions(predictions, image=toolchain.tag, command=calc)"


def cells() -> list[dict]:
    return json.loads(LESSON.read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def outputs_text(cell: dict) -> str:
    return "".join("".join(o.get("text", "")) + "".join("".join(v) for v in o.get("data", {}).values()
                                                       if isinstance(v, (str, list)))
                   for o in cell.get("outputs", []))


def solution() -> dict[str, str]:
    """The `predictions = {...}` of the lesson's <details> block, evaluated as a literal."""
    blocks = [source(c) for c in cells() if c["cell_type"] == "markdown" and "<details>" in source(c)]
    assert len(blocks) == 1, "lesson 01 has one solution block"
    code = re.search(r"```python\n(.*?)```", blocks[0], re.S).group(1)
    tree = ast.parse(code)
    (assign,) = tree.body
    assert isinstance(assign, ast.Assign) and assign.targets[0].id == "predictions"
    return ast.literal_eval(assign.value)


def test_the_exercise_follows_the_convention():
    nb = cells()
    prompt = next(i for i, c in enumerate(nb) if c["cell_type"] == "markdown" and source(c).startswith("## Exercise"))
    assert CHECK in source(nb[prompt]), "the prompt names the check"
    learner, check = nb[prompt + 1], nb[prompt + 2]
    assert source(learner).startswith("predictions = ..."), "the learner's cell starts with the placeholder"
    assert CHECK in source(check)
    assert "not answered yet" in outputs_text(check) and "Well done" not in outputs_text(check)
    assert "<details>" in source(nb[prompt + 3])


def test_no_output_gives_the_solution_away():
    answers = solution()
    for cell in cells():
        if cell["cell_type"] != "code":
            continue
        text = outputs_text(cell)
        assert "all correct" not in text and "Well done" not in text
        assert "predictions = {" not in source(cell), "the solution is never in a code cell"
    assert answers["10 % 0"].startswith("calc: ")


@pytest.fixture(scope="module")
def toolchain(remove_images):
    """The lesson's build stage, under a prefix of the module's own; removed afterwards."""
    import os
    import uuid

    import dockerlab

    client, _ = dockerlab.connect()
    before = os.environ.get("DOCKERLAB_PREFIX")
    os.environ["DOCKERLAB_PREFIX"] = f"dockerlab-test-{uuid.uuid4().hex[:8]}/"
    tag = None
    try:
        tag = dockerlab.build("multi-stage", target="build").tag
        yield tag
    finally:
        if tag is not None:
            remove_images([tag])
        if before is None:
            os.environ.pop("DOCKERLAB_PREFIX", None)
        else:
            os.environ["DOCKERLAB_PREFIX"] = before


def check(predictions, image):
    return checks.check_predictions(predictions, image=image, command=CALC)


def test_the_placeholder_is_not_answered_yet(engine):
    # no container runs for a placeholder, so any image name will do
    for placeholder in (..., {}, {"2 + 3 * 4": "?", "-3^2": "?"}):
        feedback = check(placeholder, image="not-needed")
        assert not feedback.ok and "not answered yet" in feedback.lines[0], feedback


def test_the_solution_passes_and_wrong_answers_say_why(engine, toolchain):
    answers = solution()
    feedback = check(answers, toolchain)
    assert feedback.ok and len(feedback.lines) == len(answers), feedback
    assert "Well done" in feedback._repr_markdown_()

    left_to_right = {**answers, "2 + 3 * 4": "20", "-3^2": "9"}
    feedback = check(left_to_right, toolchain)
    assert not feedback.ok
    wrong = [line for line in feedback.lines if line.startswith("✗")]
    assert len(wrong) == 2
    assert any("you said `20`" in line and "prints `14`" in line and "precedence" in line for line in wrong)
    assert any("you said `9`" in line and "prints `-9`" in line for line in wrong)

    no_error = {**answers, "10 % 0": "inf"}
    feedback = check(no_error, toolchain)
    assert not feedback.ok
    (line,) = [line for line in feedback.lines if line.startswith("✗")]
    assert "you said `inf`" in line and "starts with `calc:`" in line and answers["10 % 0"] in line
