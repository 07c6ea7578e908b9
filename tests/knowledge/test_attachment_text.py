"""Attachment text: queued with the attachment, read by the worker, searched under its work
order; a failure shows with its reason on the order's page."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sqm.complaints import records
from sqm.knowledge import attachments, search
from sqm.knowledge.models import AttachmentText
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return UserFactory(username="at-lead", roles=["team_lead"], city_codes=["NJ"])


def docx(text: str) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def broken_docx() -> bytes:
    """A zip, as a .docx is, without the document inside."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
    return out.getvalue()


def attach(lead, order, name: str, content: bytes, kind: str):
    return records.add_attachment(lead, order, SimpleUploadedFile(name, content, content_type=kind))


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_documents_text_is_read_and_found_under_its_work_order(
    lead, django_capture_on_commit_callbacks
):
    order = record(lead, code="NQ.BB.04", description="客户来电")
    with django_capture_on_commit_callbacks(execute=False):
        stored = attach(
            lead,
            order,
            "现场记录.docx",
            docx("现场检测：分光器端口老化，客户电话13912345678"),
            DOCX,
        )
    row = AttachmentText.objects.get(attachment=stored)
    assert row.state == "pending"
    assert attachments.sweep() == 1
    row.refresh_from_db()
    assert row.state == "done" and "分光器" in row.text
    hits = search.search(lead, "分光器 老化").hits
    assert [(h.kind, h.ref) for h in hits] == [("attachment", order.number)]
    assert hits[0].url == f"/complaints/orders/{order.pk}/"
    assert "13912345678" not in hits[0].snippet


def test_an_unreadable_file_shows_why_on_the_order_page_and_an_image_is_skipped(
    lead, client, django_capture_on_commit_callbacks
):
    order = record(lead, code="NQ.BB.04", description="客户来电")
    with django_capture_on_commit_callbacks(execute=False):
        attach(lead, order, "坏文件.docx", broken_docx(), DOCX)
        attach(lead, order, "照片.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    attachments.sweep()
    states = dict(AttachmentText.objects.values_list("attachment__original_name", "state"))
    assert states == {"坏文件.docx": "failed", "照片.png": "skipped"}
    assert AttachmentText.objects.get(state="failed").error
    client.force_login(lead)
    page = client.get(f"/complaints/orders/{order.pk}/").content.decode()
    assert 'id="attachment-texts"' in page and 'data-state="failed"' in page


def test_a_file_name_with_a_number_is_masked_and_the_text_follows_its_orders_state(
    lead, django_capture_on_commit_callbacks
):
    from sqm.complaints.workorders import do_transition
    from sqm.knowledge.models import SearchDocument

    order = record(lead, code="NQ.BB.04", description="客户来电")
    with django_capture_on_commit_callbacks(execute=False):
        attach(lead, order, "张三13912345678记录.docx", docx("分光器老化"), DOCX)
    attachments.sweep()
    doc = SearchDocument.objects.get(kind="attachment")
    assert "13912345678" not in doc.title and "13912345678" not in doc.grams
    do_transition(lead, order, "accept")
    assert SearchDocument.objects.get(kind="attachment").state == "in_progress"
