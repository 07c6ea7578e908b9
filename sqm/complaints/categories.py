"""The default category tree and departments, and look-ups over the tree."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULTS = Path(__file__).resolve().parent / "data" / "categories.json"


def load_defaults(department_model, category_model) -> tuple[int, int]:
    """Create the default departments and categories that do not exist yet (by code).

    Takes the model classes so a data migration can pass its historical models. Rows that
    exist are left as administrators edited them. Returns (departments, categories) created.
    """
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    departments = {}
    created_departments = 0
    for row in data["departments"]:
        department, created = department_model.objects.get_or_create(
            code=row["code"], defaults={"name": row["name"], "kind": row["kind"]}
        )
        departments[row["code"]] = department
        created_departments += created
    created_categories = 0

    def add(node: dict, parent, level: int) -> None:
        nonlocal created_categories
        defaults = {"name": node["name"], "parent": parent, "level": level}
        if "need_area" in node:
            defaults["need_area"] = node["need_area"]
            defaults["department"] = departments[node["department"]]
        category, created = category_model.objects.get_or_create(
            code=node["code"], defaults=defaults
        )
        created_categories += created
        for child in node.get("children", []):
            add(child, category, level + 1)

    for root in data["categories"]:
        add(root, None, 1)
    return created_departments, created_categories
