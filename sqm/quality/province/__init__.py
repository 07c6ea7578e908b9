"""The quality side's part of the generated province: the operational facts from the other
systems (repairs, activations, transfers, speed tests, operations figures, circuits and their
outages). Registered by QualityConfig.ready; see docs/generator.md."""

from __future__ import annotations


def register() -> None:
    """Register the part (filled in by the generator work of issue 13)."""
