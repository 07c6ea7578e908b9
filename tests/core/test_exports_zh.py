"""Every XLSX export speaks the requesting user's language: sheet names and headers are
translated, read back with openpyxl (issue 12 §1)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from sqm.core.exporting import XlsxWriter
from tests.complaints.helpers import record
from tests.factories import AccountFactory, CustomerFactory, OltFactory
from tests.zh_text import english_words

EXPORTS = [
    ("customers:customer_export", "客户"),
    ("customers:account_export", "账号"),
    ("network:olt_export", "OLT"),
    ("complaints:order_export", "工单"),
]


def workbook(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(body), read_only=True)


@pytest.fixture
def data(admin):
    customer = CustomerFactory()
    AccountFactory(customer=customer)
    OltFactory()
    record(admin, customer=customer)


@pytest.mark.parametrize(("url", "sheet"), EXPORTS)
def test_a_list_export_in_chinese_has_a_chinese_sheet_name_and_headers(data, admin, url, sheet):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    book = workbook(client.get(reverse(url)))
    assert book.sheetnames == [sheet]
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = [str(cell) for cell in rows[0]]
    assert not [h for h in header if english_words(h)], header
    assert len(rows) >= 2  # the data row is there too


@pytest.mark.parametrize(("url", "sheet"), EXPORTS)
def test_the_same_export_in_english_for_an_english_user(data, admin, url, sheet):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    book = workbook(client.get(reverse(url)))
    header = [str(cell) for cell in next(book.worksheets[0].iter_rows(values_only=True))]
    assert any(english_words(h) for h in header)


def test_a_work_order_export_in_chinese_shows_states_as_labels_not_codes(data, admin):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    rows = list(workbook(client.get(reverse("complaints:order_export"))).worksheets[0].values)
    state = rows[0].index("状态")
    assert rows[1][state] and not english_words(rows[1][state]), rows[1][state]


def test_a_sheet_name_excel_would_refuse_is_made_acceptable_and_unique():
    writer = XlsxWriter()
    writer.add_sheet("路径/系数: [a]?")
    writer.add_sheet("路径/系数: [a]?")
    writer.add_sheet("x" * 40)
    names = writer.book.sheetnames
    assert names[0] == "路径 系数   a" and names[1] == "路径 系数   a (2)"
    assert len(names[2]) == 31
    load_workbook(io.BytesIO(writer.to_bytes()))  # opens
