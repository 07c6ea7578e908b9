import pytest
from django.urls import reverse

from sqm.core.models import AuditEntry


@pytest.mark.django_db
def test_it_audits_logins_and_failed_logins(client, agent):
    client.post(reverse("login"), {"username": "agent", "password": "wrong"})
    client.post(reverse("login"), {"username": "agent", "password": "correct horse battery"})
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["login_failed", "login"]


@pytest.mark.django_db
def test_it_locks_an_account_after_repeated_failures(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "agent", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "agent", "password": "correct horse battery"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_passwords_are_hashed_with_argon2():
    from sqm import settings as configured  # the tests themselves use a fast hasher

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_it_audits_a_lock_out(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "agent", "password": "wrong"})
    assert AuditEntry.objects.filter(action="locked_out", target="user:agent").exists()


@pytest.mark.django_db
def test_it_audits_role_changes(agent, admin):
    from django.contrib.auth.models import Group

    from sqm.core.context import acting_as

    with acting_as(admin):
        agent.groups.add(Group.objects.get(name="team_lead"))
    entry = AuditEntry.objects.filter(action="permission").latest("id")
    assert entry.target == "user:agent" and entry.details["items"] == ["team_lead"]
    assert entry.actor == admin


def test_sessions_expire_after_inactivity(settings):
    # Renewed at most once a minute by sqm.core.sessions (tests/core/test_sessions.py).
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and not settings.SESSION_SAVE_EVERY_REQUEST
    assert "sqm.core.sessions.SessionRefreshMiddleware" in settings.MIDDLEWARE
