"""The quality side's home-page panels (registered in QualityConfig.ready())."""

from __future__ import annotations


def register() -> None:
    """Register the panels (the quality managers' short-board tile)."""
