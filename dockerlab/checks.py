"""Exercise checkers: each compares a learner's answer with what the engine really does, and
says kindly what is right and what to look at again. They return a `Feedback`, which a notebook
shows as a short list; they never raise for a wrong answer.

The lessons call them all from here (``checks.check_xxx(...)``); each lives with its kind:
`size_checks` (numbers), `content_checks` (what an image holds), `run_checks` (what it does
when run) and `cache_order` (lesson 06's build experiment)."""

from __future__ import annotations

from .cache_order import check_cache_order
from .content_checks import check_biggest_step, check_biggest_unneeded_file, check_secret_gone
from .feedback import Feedback
from .run_checks import check_html_module, check_image_by_hand, check_predictions
from .size_checks import check_binary_share, check_ratio, check_source_ratio

__all__ = ["Feedback", "check_predictions", "check_biggest_step", "check_binary_share", "check_ratio", "check_source_ratio", "check_biggest_unneeded_file", "check_image_by_hand", "check_cache_order", "check_secret_gone", "check_html_module"]
