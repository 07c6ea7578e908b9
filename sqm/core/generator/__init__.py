"""The synthetic province generator behind `sqm generate` (see docs/generator.md).

Core holds the mechanism and the helpers that know no domain; each domain app registers the
part of the province it writes (`parts.register_part`, from its AppConfig.ready)."""

from sqm.core.generator.parts import ProvincePart, files, ordered_parts, register_part
from sqm.core.generator.province import (
    DEFAULT_AS_OF,
    DEFAULT_MONTHS,
    GENERATOR_VERSION,
    generate_province,
    max_customers,
)

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_MONTHS",
    "GENERATOR_VERSION",
    "ProvincePart",
    "files",
    "generate_province",
    "max_customers",
    "ordered_parts",
    "register_part",
]
