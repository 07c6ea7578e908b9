"""District, area and OLT names become the {area} of customers' fault SMS: imports and the
API accept names only, never links, e-mail addresses, phone numbers or markup."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

import sqm.customers.importers  # noqa: F401
import sqm.network.importers  # noqa: F401
from sqm.core.importing import run_import
from sqm.core.validators import name_problem, validate_place_name
from sqm.customers.models import Customer
from sqm.network.models import Olt
from tests.core.test_imports import (
    CUSTOMER_HEADER,
    GOOD_CUSTOMERS,
    TOPOLOGY,
    TOPOLOGY_HEADER,
    write_csv,
)

POISON = "http://evil.cn 退订回T"


@pytest.mark.parametrize(
    "value",
    [
        "玄武区",
        "江北新区",
        "南京玄武区-中山路-OLT03",
        "NJ-XW-HW-MA5800-01",
        "OLT-2025-001",
        "Jiangning District",
        "苏州工业园区（园区）",
    ],
)
def test_real_district_and_olt_names_are_names(value):
    assert name_problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (POISON, "link"),
        ("玄武区 t.cn/A6xYz", "link"),
        ("玄武区ｗｗｗ．ｅｖｉｌ．ｃｏｍ", "link"),  # full-width letters fold to ASCII
        ("玄武区 evil。cn", "link"),  # the ideographic full stop too
        ("退订请访问 10.1.2.3", "link"),
        ("玄武区 kefu@evil.cn", "e-mail"),
        ("玄武区 详询13812345678", "phone"),
        ("玄武区 详询１３８１２３４５６７８", "phone"),
        ("玄武区 138-1234-5678", "phone"),
        ("玄武区 025-84561234", "phone"),
        ("玄武区 400-820-8820", "phone"),
        ("玄武区<script>", "angle brackets"),
        ("玄武\u202e区", "invisible"),  # a right-to-left override
        ("玄武\x07区", "control"),
    ],
)
def test_links_addresses_numbers_and_markup_are_not_names(value, problem):
    assert problem in name_problem(value)


@pytest.mark.django_db
def test_a_topology_row_with_a_link_in_its_district_is_refused_and_named(tmp_path):
    rows = [r[:] for r in TOPOLOGY]
    for row in rows:
        row[5] = POISON  # every row of the OLT: the district must agree across them
    result = run_import(
        "topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, rows), display_name="t.csv"
    )
    assert f"t.csv:2: district: {POISON!r} is not a name: it contains a link" in (
        result.error_lines()
    )
    assert not result.ok and Olt.objects.count() == 0


@pytest.mark.django_db
def test_a_topology_row_with_a_phone_number_in_its_olt_name_is_refused(tmp_path):
    rows = [r[:] for r in TOPOLOGY]
    for row in rows:
        row[1] = "玄武OLT 故障请拨13812345678"
    result = run_import(
        "topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, rows), display_name="t.csv"
    )
    assert result.error_lines()[0].startswith("t.csv:2: olt_name: ")
    assert result.error_lines()[0].endswith("is not a name: it contains a phone number")
    assert Olt.objects.count() == 0


@pytest.mark.django_db
def test_a_customer_row_with_a_link_in_its_district_is_refused(tmp_path):
    rows = [r[:] for r in GOOD_CUSTOMERS]
    rows[0][7] = POISON
    result = run_import(
        "customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows), display_name="c.csv"
    )
    assert result.error_lines() == [
        f"c.csv:2: district: {POISON!r} is not a name: it contains a link"
    ]
    assert Customer.objects.count() == 0


def test_the_olt_model_refuses_a_poisoned_name_and_district():
    with pytest.raises(ValidationError, match="not a name"):
        validate_place_name(POISON)
    fields = {f.name: f for f in Olt._meta.fields}
    assert validate_place_name in fields["name"].validators
    assert validate_place_name in fields["district"].validators


@pytest.mark.django_db
def test_the_api_refuses_an_olt_with_a_link_in_its_district(client, admin):
    client.force_login(admin)
    response = client.post(
        "/api/v1/olts/",
        {"olt_id": "OLT-API", "name": "玄武OLT09", "city": "NJ", "district": POISON},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "district" in response.json()
    assert not Olt.objects.filter(olt_id="OLT-API").exists()


@pytest.mark.django_db
def test_a_fault_type_name_with_a_link_is_refused_when_edited():
    from sqm.network.models import FaultType

    fault_type = FaultType.objects.get(code="LOS")
    fault_type.name = "光路中断 t.cn/x"
    with pytest.raises(ValidationError) as refused:
        fault_type.full_clean()
    assert "name" in refused.value.message_dict
