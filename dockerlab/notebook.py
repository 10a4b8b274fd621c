"""What a lesson's first cell sets up: short error messages, PNG plots, readable tables."""

from __future__ import annotations

from .errors import DockerlabError

__all__ = ["setup"]


def setup() -> None:
    """Show dockerlab's errors as their message alone, and set plot and table defaults."""
    from IPython import get_ipython

    ip = get_ipython()
    if ip is not None:
        ip.set_custom_exc((DockerlabError,), _show_message)
        ip.run_line_magic("matplotlib", "inline")
        ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
    import matplotlib
    import pandas as pd

    matplotlib.rcParams.update({"figure.figsize": (7, 3.5), "figure.dpi": 100, "axes.spines.top": False,
                                "axes.spines.right": False, "svg.hashsalt": "dockerlab"})
    pd.set_option("display.max_colwidth", 70)
    pd.set_option("display.width", 120)


def _show_message(shell, etype, value, tb, tb_offset=None):
    """IPython hook: the learner sees what happened and what to do, not a traceback."""
    message = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, message)  # the kernel's own way to publish an error
    return message
