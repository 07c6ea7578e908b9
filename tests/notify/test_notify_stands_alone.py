"""notify is the generic outbox: the fault side (network) schedules fault SMS and imports
notify, never the other way round (issue 12 §6)."""

from __future__ import annotations

import ast
from pathlib import Path

import sqm.notify

DOMAINS_ABOVE = ("sqm.network", "sqm.complaints", "sqm.customers")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_notify_module_imports_the_network_complaint_or_customer_side():
    root = Path(sqm.notify.__file__).parent
    offending = {
        f"{path.relative_to(root)}: {module}"
        for path in root.rglob("*.py")
        for module in imported_modules(path)
        if module.startswith(DOMAINS_ABOVE)
    }
    assert not offending, sorted(offending)


def test_fault_sms_scheduling_lives_on_the_fault_side():
    from sqm.network import fault_sms

    assert callable(fault_sms.schedule_fault_notices)
    assert not (Path(sqm.notify.__file__).parent / "scheduling.py").exists()
