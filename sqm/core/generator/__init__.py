"""The synthetic province generator behind `sqm generate` (see docs/generator.md)."""

from sqm.core.generator.province import (
    DEFAULT_AS_OF,
    FILES,
    GENERATOR_VERSION,
    generate_province,
    max_customers,
)

__all__ = ["DEFAULT_AS_OF", "FILES", "GENERATOR_VERSION", "generate_province", "max_customers"]
