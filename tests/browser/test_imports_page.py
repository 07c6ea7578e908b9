"""A quality manager uploads customer files on the import page: a good file is imported, a
file with bad rows is refused with each bad row listed, and GBK files must be declared.

Pages are in Chinese; what the tests look for in the text is the zh-hans translation of the
message the page uses, so the tests do not depend on the English wording either.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from sqm.core.models import ImportJob, ImportStatus
from sqm.customers.models import Customer
from tests.browser.conftest import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HEADER = (
    "customer_id,name,mobile,id_number,customer_type,tier,city,district,"
    "marketing_consent,service_sms_opt_out,address"
)
FIRST_FILE = [
    "C001,王小明,13812345678,320102198001011238,public,gold,南京,玄武区,1,0,南京市玄武区中山路1号",
    "C002,李娜,13987654321,320502199002020028,group,normal,SZ,姑苏区,0,1,",
]
# Line 2 is good, line 3 has a short mobile number, line 4 an ID number with a wrong check
# character (…1234 instead of …1238).
SECOND_FILE = [
    "C003,赵强,13711112222,320102198001011238,public,silver,NJ,鼓楼区,0,0,",
    "C004,钱芳,1381234,320502199002020028,public,normal,NJ,玄武区,0,0,",
    "C005,孙丽,13633334444,320102198001011234,public,normal,NJ,玄武区,0,0,",
]
JOB_URL = re.compile(r"/core/imports/(\d+)/$")


@pytest.fixture
def quality(db):
    return UserFactory(username="quality", roles=["quality_manager"], all_cities=True)


def csv_bytes(rows: list[str], encoding: str = "utf-8") -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode(encoding)


def zh(message: str, **values) -> str:
    """MESSAGE as the Chinese page shows it."""
    with translation.override("zh-hans"):
        text = gettext(message)
    return text % values if values else text


def upload(page, name: str, content: bytes, encoding: str = "") -> ImportJob:
    """Upload a customers file on the import page; returns the job the page went on to."""
    page.goto("/core/imports/")
    page.locator("#id_kind").select_option("customers")
    page.locator("#id_encoding").select_option(encoding)
    page.locator("#id_file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    page.locator("#import-form button[type=submit]").click()
    page.wait_for_url(JOB_URL)
    return ImportJob.objects.get(pk=JOB_URL.search(page.url).group(1))


def expect_finished(page, status: ImportStatus) -> None:
    status_box = page.locator("#import-status")
    expect(status_box.locator("strong").first).to_have_text(zh(status.label))
    expect(status_box.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    # Finished: the box no longer polls the server.
    expect(status_box).not_to_have_attribute("hx-trigger", re.compile("."))


def error_rows(page) -> list[list[str]]:
    rows = page.locator("#import-errors tbody tr")
    return [
        [text.strip() for text in rows.nth(n).locator("td").all_inner_texts()]
        for n in range(rows.count())
    ]


def test_it_imports_a_good_file_and_refuses_a_file_with_bad_rows_listing_each_of_them(
    page, live_server, quality
):
    login(page, live_server, quality)

    job = upload(page, "customers.csv", csv_bytes(FIRST_FILE))

    expect_finished(page, ImportStatus.DONE)
    counts = zh(
        "%(rows)s rows read, %(created)s created, %(updated)s updated.",
        rows=2,
        created=2,
        updated=0,
    )
    expect(page.locator("#import-status")).to_contain_text(counts)
    expect(page.locator("#import-errors")).to_have_count(0)
    assert (job.status, job.created_count, job.updated_count) == (ImportStatus.DONE, 2, 0)
    assert Customer.objects.get(customer_id="C001").name == "王小明"

    # The job is listed on the import page, linked by its file name.
    page.goto("/core/imports/")
    expect(page.get_by_role("link", name="customers.csv")).to_have_attribute(
        "href", f"/core/imports/{job.pk}/"
    )

    job = upload(page, "customers-bad.csv", csv_bytes(SECOND_FILE))

    expect_finished(page, ImportStatus.FAILED)
    assert error_rows(page) == [
        [
            "3",
            "mobile",
            zh("%(value)r is not an 11-digit mainland mobile number", value="1381234"),
        ],
        ["4", "id_number", zh("not an 18-character ID number with a valid check digit")],
    ]
    assert (job.status, job.error_count) == (ImportStatus.FAILED, 2)

    # All or nothing: the good line 2 of the refused file was not imported either.
    page.goto("/customers/")
    listed = page.locator("#customers tbody tr td:first-child")
    expect(listed).to_have_text(["C001", "C002"])
    assert sorted(Customer.objects.values_list("customer_id", flat=True)) == ["C001", "C002"]


def test_it_refuses_an_undeclared_gbk_file_with_a_hint_and_imports_it_once_declared(
    page, live_server, quality
):
    content = csv_bytes(FIRST_FILE, encoding="gbk")
    login(page, live_server, quality)

    upload(page, "customers-gbk.csv", content)

    expect_finished(page, ImportStatus.FAILED)
    [(line, column, reason)] = error_rows(page)
    assert (line, column) == ("1", "-")
    assert "--encoding gbk" in reason, reason
    assert not Customer.objects.exists()

    job = upload(page, "customers-gbk.csv", content, encoding="gbk")

    expect_finished(page, ImportStatus.DONE)
    assert (job.status, job.encoding, job.created_count) == (ImportStatus.DONE, "gbk", 2)
    # Read as GBK, the Chinese is intact.
    assert Customer.objects.get(customer_id="C001").name == "王小明"
    assert Customer.objects.get(customer_id="C002").district == "姑苏区"


def test_it_shows_a_hotline_agent_the_forbidden_page_instead_of_the_imports(
    page, live_server, agent
):
    login(page, live_server, agent)
    expect(page.locator('header nav a[href="/core/imports/"]')).to_have_count(0)

    response = page.goto("/core/imports/")

    assert response is not None and response.status == 403
    expect(page.locator("main h1")).to_have_text(zh("Not allowed"))
    expect(page.locator("#import-form")).to_have_count(0)
    assert not ImportJob.objects.exists()
