"""The knowledge side's part of the demo: module owners and a few problems (demo.py), and
the search index over what the other parts loaded (imports that write without the change
log are indexed here). Registered by
`KnowledgeConfig.ready`."""

from __future__ import annotations

from sqm.core.generator.parts import ProvincePart, register_part


def load_demo(load) -> None:
    from sqm.knowledge import index
    from sqm.knowledge.province import demo

    demo.load()  # module owners and a few problems
    index.catch_up()


def register() -> None:
    register_part(ProvincePart(name="knowledge", depends_on=("complaints",), load_demo=load_demo))
