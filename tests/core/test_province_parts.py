"""Core only runs the province parts the apps register: ordered by what they depend on."""

import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from sqm.core.generator.parts import ProvincePart, ordered_parts

ROOT = Path(__file__).resolve().parents[2]


def parts(*specs: tuple[str, tuple[str, ...]]) -> dict[str, ProvincePart]:
    return {name: ProvincePart(name=name, depends_on=needs) for name, needs in specs}


def test_parts_run_after_the_parts_they_depend_on_whatever_the_registration_order():
    found = ordered_parts(
        parts(("complaints", ("customers", "alarms")), ("alarms", ("topology", "customers")),
              ("customers", ("topology",)), ("topology", ()), ("survey", ()))
    )  # fmt: skip
    assert [p.name for p in found] == ["topology", "customers", "alarms", "complaints", "survey"]


def test_a_cycle_between_parts_is_a_configuration_error_naming_it():
    with pytest.raises(ImproperlyConfigured, match="a → b → a"):
        ordered_parts(parts(("a", ("b",)), ("b", ("a",))))


def test_a_dependency_no_app_registered_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="'a' depends on 'nowhere'"):
        ordered_parts(parts(("a", ("nowhere",))))


def test_every_domain_app_registers_its_part_of_the_province():
    names = [p.name for p in ordered_parts()]
    assert names[:2] == ["topology", "customers"]
    assert {"alarms", "complaints", "survey"} <= set(names)
    assert names.index("alarms") < names.index("complaints")


def test_the_importers_are_registered_by_their_apps_not_by_core():
    from sqm.core.importing import registry

    assert {"customers", "accounts", "topology", "complaints", "survey"} <= set(registry)
    core = ROOT / "sqm" / "core"
    pattern = r"sqm\.\(customers\|network\|complaints\|surveys\|notify\)"
    hits = subprocess.run(
        ["grep", "-rn", pattern, "generator", "demo.py", "importing", "management/commands"],
        cwd=core, capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    imports = [line for line in hits.splitlines() if "import" in line]
    assert imports == []


def test_generate_province_refuses_an_option_no_part_takes(tmp_path):
    from sqm.core.generator import generate_province

    with pytest.raises(TypeError, match="surveys_waves"):
        generate_province(tmp_path, customers=1, seed=1, surveys_waves=2)
    assert not any(tmp_path.iterdir())


def test_sqm_import_refuses_an_option_of_another_kind(tmp_path):
    from django.core.management import CommandError, call_command

    data = tmp_path / "topology.csv"
    data.write_text("olt_id\n", encoding="utf-8")
    with pytest.raises(CommandError, match="--questionnaire is only for survey"):
        call_command("import", "topology", str(data), questionnaire="q.yaml")


def test_a_demo_set_up_before_parts_is_not_imported_twice(settings, tmp_path):
    from sqm.core import demo

    settings.SQM_HOME = tmp_path
    (tmp_path / "demo").mkdir()
    assert {p.name for p in demo.pending_parts()} >= {"topology", "customers", "complaints"}
    for name in (".imported", ".history-imported", ".alarms-ingested", ".survey-imported"):
        (tmp_path / "demo" / name).write_text("customers=20000 seed=2026\n", encoding="utf-8")
    # Only the parts added since parts existed (the problem library, the quality facts) are
    # still to load.
    assert [p.name for p in demo.pending_parts()] == ["knowledge", "quality"]
    for name in ("knowledge", "quality"):
        (tmp_path / "demo" / f".loaded-{name}").write_text("customers=20000\n", encoding="utf-8")
    assert demo.pending_parts() == [] and demo.province_loaded()
