"""Complaint domain services: plain functions that the intake page, the API and the CLI share.

Triage (the entry rules and its decision table) lives in `sqm.complaints.triage`; it is
exposed here so callers depend on the services module only.
"""

from sqm.complaints.triage import (
    Decision,
    Intake,
    IntakeBatch,
    IntakeInvalid,
    LineError,
    loads_intake,
    parse_intake,
    read_intakes,
    triage,
)

__all__ = [
    "Decision",
    "Intake",
    "IntakeBatch",
    "IntakeInvalid",
    "LineError",
    "loads_intake",
    "parse_intake",
    "read_intakes",
    "triage",
]
