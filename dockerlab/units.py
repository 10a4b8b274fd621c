"""Sizes and durations as people read them (and as the notebooks' sanitizer recognises them)."""

from __future__ import annotations

__all__ = ["mb", "seconds"]


def mb(size: float, *, digits: int = 2) -> str:
    """Bytes as megabytes (10^6, as Docker counts): ``1234567`` -> ``'1.23 MB'``."""
    return f"{size / 1e6:,.{digits}f} MB"


def seconds(value: float) -> str:
    """A duration: ``12.345`` -> ``'12.3 s'``."""
    return f"{value:.1f} s"
