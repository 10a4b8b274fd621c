"""Exercise checkers give friendly feedback on wrong answers, against the real calculator image."""

import pytest

import dockerlab
from dockerlab import checks


@pytest.fixture(scope="module")
def calculator_image():
    return dockerlab.build("multi-stage").tag


def test_right_predictions_pass(calculator_image):
    feedback = checks.check_predictions({"2 + 3 * 4": "14", "-2^2": "-4"}, image=calculator_image)
    assert feedback.ok
    assert "Well done" in feedback._repr_markdown_()


def test_wrong_prediction_is_named_with_the_real_answer(calculator_image):
    feedback = checks.check_predictions({"2 + 3 * 4": "20", "-2^2": "-4"}, image=calculator_image)
    assert not feedback.ok
    assert any("you said `20`" in line and "prints `14`" in line for line in feedback.lines)
    assert any(line.startswith("✓ `-2^2`") for line in feedback.lines)


def test_empty_answer_is_a_nudge_not_an_error(calculator_image):
    feedback = checks.check_predictions({}, image=calculator_image)
    assert not feedback.ok and "Fill in" in feedback.lines[0]
