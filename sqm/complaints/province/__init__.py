"""The complaint side's part of the generated province: complaints.jsonl.

The complaint history listens to the customers part ("customer": each customer with its
account rows, as written) and covers the history window (`months`). The demo imports it,
trains the intake's category suggestions on it and fills the demo users' queues
(`demo.py`). Registered by `ComplaintsConfig.ready`; see docs/generator.md ("Complaints").
"""

from __future__ import annotations

from sqm.core.generator.parts import ProvincePart, register_part
from sqm.core.generator.province import Generation, JsonLinesWriter


def generate(generation: Generation) -> None:
    if not generation.months:  # no history asked for: no complaints.jsonl
        return
    from sqm.complaints.province.history import ComplaintHistory

    writer = generation.add_file("complaints", JsonLinesWriter(generation.path("complaints")))
    write = writer.write
    # Parts set up later listen to "complaint" (each record as written: the quality part's
    # repairs); looked up when the loop runs, so they are all known by then.
    listening = generation.listeners("complaint")

    def write_and_tell(record: dict) -> None:
        write(record)
        for listen in listening:
            listen(record)

    history = ComplaintHistory(
        generation.stream("complaints"), generation.as_of, generation.months, write_and_tell
    )
    generation.listeners("customer").append(history.customer)


def load_demo(load) -> None:
    from sqm.complaints.province import demo

    demo.load_history(load)


def register() -> None:
    register_part(
        ProvincePart(
            name="complaints",
            # alarms: the demo files the live fault's batch complaints (demo.py).
            depends_on=("customers", "alarms"),
            files={"complaints": "complaints.jsonl"},
            generate=generate,
            load_demo=load_demo,
            legacy_marker=".history-imported",
        )
    )
