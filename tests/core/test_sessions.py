"""Sessions are not written on every request, and still end after inactivity."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sqm.core.sessions import REFRESHED
from tests.factories import UserFactory


@pytest.fixture
def logged_in(client, db):
    client.force_login(UserFactory(username="quality", roles=["quality_manager"]))
    client.get(reverse("home"))  # the first page stamps the session
    return client


def session_writes(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")
    ]


def test_a_request_within_a_minute_writes_no_session_row(logged_in):
    before = Session.objects.get().expire_date
    assert session_writes(logged_in, reverse("home")) == []
    assert Session.objects.get().expire_date == before


def test_a_request_a_minute_after_the_last_renewal_renews_the_session(logged_in):
    session = logged_in.session
    session[REFRESHED] -= 61  # as if the last renewal was 61 seconds ago
    session.save()
    before = Session.objects.get().expire_date
    assert len(session_writes(logged_in, reverse("home"))) == 1
    assert Session.objects.get().expire_date > before
    assert session_writes(logged_in, reverse("home")) == []  # and not again right after


def test_an_inactive_session_still_expires(logged_in, settings):
    session = Session.objects.get()
    Session.objects.filter(pk=session.pk).update(expire_date=session.expire_date.replace(year=2000))
    response = logged_in.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_sessions_are_not_saved_on_every_request(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
