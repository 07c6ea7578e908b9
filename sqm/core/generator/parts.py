"""Province parts: what each domain adds to the generated province and how the demo loads it.

Core knows no domain. Each app registers its part(s) from `AppConfig.ready()` (for example
`sqm/network/province/__init__.py`); `sqm generate` and `sqm demo` take the registered parts
in dependency order and run their steps (docs/generator.md, "Parts").

A part has
- a name, and the names of the parts it depends on (their generation is set up first, and
  their files are loaded into the demo first);
- the files it writes: kind → file name (the kind is also the `sqm import` kind, when the
  file is imported);
- the keyword options of `generate_province` it takes, with their defaults, and the values the
  demo uses; `check` refuses bad values (ValueError) before anything is written;
- a generate step (`generate(generation)`): it opens its files, offers services or listens
  to other parts' events, and schedules its work (see `province.Generation`);
- a demo-load step (`load_demo(load)`): it imports its files and makes the demo come alive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class ProvincePart:
    name: str
    depends_on: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    demo_options: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[Mapping[str, Any]], None] | None = None
    generate: Callable[[Any], None] | None = None
    load_demo: Callable[[Any], None] | None = None
    # The marker file a demo set up before parts existed left for this part's data.
    legacy_marker: str = ""


_parts: dict[str, ProvincePart] = {}


def register_part(part: ProvincePart) -> ProvincePart:
    """Register PART (again: the newer one replaces it, so a reloaded app does no harm)."""
    _parts[part.name] = part
    return part


def unregister_part(name: str) -> None:
    _parts.pop(name, None)


def ordered_parts(parts: Mapping[str, ProvincePart] | None = None) -> list[ProvincePart]:
    """The registered parts (or PARTS), each after the parts it depends on; otherwise in
    registration order. An unknown dependency or a cycle is a configuration error."""
    parts = _parts if parts is None else parts
    done: dict[str, ProvincePart] = {}
    visiting: list[str] = []

    def visit(name: str, wanted_by: str | None) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " → ".join([*visiting[visiting.index(name) :], name])
            raise ImproperlyConfigured(f"province parts depend on each other in a cycle: {cycle}")
        if name not in parts:
            raise ImproperlyConfigured(
                f"province part {wanted_by!r} depends on {name!r}, which no app registered"
            )
        visiting.append(name)
        for needed in parts[name].depends_on:
            visit(needed, name)
        visiting.pop()
        done[name] = parts[name]

    for name in list(parts):
        visit(name, None)
    return list(done.values())


def files() -> dict[str, str]:
    """Every registered file: kind → file name."""
    return {kind: name for part in ordered_parts() for kind, name in part.files.items()}
