"""The notifications page, the header badge and the open view: a notification leads to what it
is about, marks itself read on the way, and never leads off the site."""

import pytest
from django.urls import reverse

from sqm.core import notifications
from sqm.core.models import Notification

pytestmark = pytest.mark.django_db

ORDER = "/complaints/orders/1/"


def note(user, kind="test_kind", link=ORDER, **fields) -> Notification:
    return Notification.objects.create(user=user, kind=kind, link=link, **fields)


def test_opening_a_notification_marks_it_read_and_leads_to_its_link(client, agent):
    mine = note(agent, text="Work order TS1")
    client.force_login(agent)
    response = client.post(reverse("core:notification_open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == ORDER
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_a_get_of_the_open_link_leads_on_but_leaves_it_unread(client, agent):
    # A link planted on another site (sequential ids, SameSite=Lax) must not clear a notice.
    mine = note(agent, text="Work order TS1")
    client.force_login(agent)
    response = client.get(reverse("core:notification_open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == ORDER
    mine.refresh_from_db()
    assert mine.read_at is None


def test_a_notice_read_before_it_is_told_again_comes_back_as_a_new_unread_one(agent):
    from sqm.core import notifications

    notifications.notify([agent], "test_kind", ORDER, {"n": 1})
    first = Notification.objects.get(user=agent)
    Notification.objects.filter(pk=first.pk).update(read_at=first.time)
    notifications.notify([agent], "test_kind", ORDER, {"n": 2})
    fresh = Notification.objects.get(user=agent, read_at__isnull=True)
    assert fresh.pk != first.pk and fresh.params == {"n": 2}


def test_someone_elses_notification_is_not_found_and_stays_unread(client, agent, colleague):
    theirs = note(colleague)
    client.force_login(agent)
    response = client.get(reverse("core:notification_open", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_needs_a_login(client, agent):
    mine = note(agent)
    response = client.get(reverse("core:notification_open", args=[mine.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    mine.refresh_from_db()
    assert mine.read_at is None


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example/x",
        "/complaints/\r\nLocation: https://evil.example/",
        "",
    ],
)
def test_a_link_off_the_site_is_refused_when_written(agent, link):
    with pytest.raises(ValueError):
        notifications.notify([agent], "test_kind", link, {})
    assert not Notification.objects.exists()


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/path", "/\\evil.x"])
def test_a_stored_link_off_the_site_is_never_followed(client, agent, link):
    planted = note(agent, link=link)  # written around the service, e.g. by hand in the database
    client.force_login(agent)
    response = client.get(reverse("core:notification_open", args=[planted.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:notifications")


def test_telling_someone_again_refreshes_the_unread_notice(agent, colleague):
    notifications.notify([agent, agent, colleague, None], "test_kind", ORDER, {"n": 1})
    notifications.notify([agent], "test_kind", ORDER, {"n": 2})
    assert Notification.objects.filter(user=agent).count() == 1
    assert Notification.objects.get(user=agent).params == {"n": 2}
    # Another order or another kind is another notice.
    notifications.notify([agent], "test_kind", "/complaints/orders/2/", {})
    notifications.notify([agent], "other_kind", ORDER, {})
    assert Notification.objects.filter(user=agent).count() == 3


def test_the_database_holds_one_unread_notice_per_person_kind_and_link(agent):
    from django.db import IntegrityError, transaction

    note(agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        note(agent)
    # Free-text notices without a link are not deduplicated.
    note(agent, link="", text="a")
    note(agent, link="", text="b")


def test_a_kind_nobody_registered_shows_its_stored_text(agent):
    assert note(agent, kind="legacy", text="Old message").message() == "Old message"


def test_a_registered_kind_is_rendered_from_its_parameters(agent):
    notifications.register("test_render", lambda p: f"Order {p['number']}")
    assert note(agent, kind="test_render", params={"number": "TS9"}).message() == "Order TS9"
    # Parameters the sentence cannot use fall back to the text instead of breaking the page.
    assert note(agent, kind="test_render", link="/x/", text="fallback").message() == "fallback"


def test_the_page_lists_unread_first_with_links_that_open_them(client, agent):
    from django.utils import timezone

    read = note(agent, link="/a/", text="already read", read_at=timezone.now())
    unread = note(agent, link="/b/", text="still to do")
    Notification.objects.filter(pk=read.pk).update(time=timezone.now())  # the newer one
    client.force_login(agent)
    page = client.get(reverse("core:notifications")).content.decode()
    assert page.index("still to do") < page.index("already read")
    assert reverse("core:notification_open", args=[unread.pk]) in page
    assert 'class="unread"' in page


def test_the_header_shows_the_unread_count_as_a_badge(client, agent):
    note(agent, link="/a/")
    note(agent, link="/b/")
    client.force_login(agent)
    page = client.get(reverse("core:notifications")).content.decode()
    assert 'class="badge"' in page and 'id="unread-count">2<' in page


def test_mark_all_read_empties_the_badge(client, agent, colleague):
    note(agent)
    theirs = note(colleague)
    client.force_login(agent)
    client.post(reverse("core:notifications"))
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert 'id="unread-count"' not in client.get(reverse("core:notifications")).content.decode()
