"""API tokens: expiry, revocation on lock-out / deactivation / password change, listing and
revoking by the owner and by administrators, last use, and no key kept in clear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from sqm.api import tokens
from sqm.api.models import ApiToken, RevokeReason
from sqm.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN_URL = "/api/v1/auth/token/"
TOKENS_URL = "/api/v1/auth/tokens/"
PASSWORD = "correct horse battery"  # tests.factories.UserFactory


def login(username: str, password: str = PASSWORD, **extra):
    return APIClient().post(
        LOGIN_URL, {"username": username, "password": password, **extra}, format="json"
    )


def with_key(key: str) -> APIClient:
    client = APIClient()
    # English answers: the messages asserted are the English ones.
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def opens_the_api(key: str) -> bool:
    status = with_key(key).get(TOKENS_URL).status_code
    assert status in (200, 401)
    return status == 200


def revoked_entries(username: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="token_revoked", target=f"user:{username}"))


# --- lifetime ---------------------------------------------------------------------------


def test_a_token_from_the_login_lasts_sqm_token_days_and_says_so(agent, settings):
    settings.SQM_TOKEN_DAYS = 7
    body = login("agent").json()
    token = ApiToken.objects.get(user=agent)
    assert set(body) == {"token", "expires"}
    assert parse_datetime(body["expires"]) == token.expires == token.created + timedelta(days=7)
    assert opens_the_api(body["token"])


def test_an_expired_token_is_refused_with_a_clear_401(agent):
    key = login("agent").json()["token"]
    ApiToken.objects.filter(user=agent).update(expires=timezone.now() - timedelta(seconds=1))
    response = with_key(key).get("/api/v1/customers/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_refused_naming_the_revocation(agent):
    key = login("agent").json()["token"]
    tokens.revoke(ApiToken.objects.get(user=agent), by=agent)
    response = with_key(key).get("/api/v1/customers/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_user_has_one_token_per_client_and_a_new_login_of_a_client_replaces_its_token(agent):
    first = login("agent", name="nightly-report").json()["token"]
    other = login("agent", name="noc-dashboard").json()["token"]
    again = login("agent", name="nightly-report").json()["token"]
    assert not opens_the_api(first)
    assert opens_the_api(other) and opens_the_api(again)
    replaced = ApiToken.objects.get(user=agent, name="nightly-report", revoked_at__isnull=False)
    assert replaced.revoke_reason == RevokeReason.REPLACED


# --- revocation when the user loses access ----------------------------------------------


def test_a_lock_out_revokes_the_users_tokens_and_is_audited(agent, colleague):
    key = login("agent").json()["token"]
    theirs = login("colleague").json()["token"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        login("agent", f"guess {n}")
    assert not opens_the_api(key)
    assert opens_the_api(theirs)
    token = ApiToken.objects.get(user=agent)
    assert token.revoke_reason == RevokeReason.LOCKED_OUT
    [entry] = revoked_entries("agent")
    assert entry.details["reason"] == "locked_out" and entry.details["tokens"] == [token.pk]


def test_a_lock_out_at_the_web_login_revokes_the_tokens_too(agent, client):
    key = login("agent").json()["token"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "agent", "password": f"guess {n}"})
    assert not opens_the_api(key)


def test_a_lock_out_of_a_user_name_nobody_has_revokes_nothing(agent):
    key = login("agent").json()["token"]
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        assert login("nobody", f"guess {n}").status_code in (400, 429)
    assert opens_the_api(key)
    assert not AuditEntry.objects.filter(action="token_revoked").exists()


def test_deactivating_a_user_revokes_their_tokens_for_good(agent, admin):
    key = login("agent").json()["token"]
    agent.is_active = False
    agent.save()
    token = ApiToken.objects.get(user=agent)
    assert token.revoke_reason == RevokeReason.DEACTIVATED
    assert [e.details["reason"] for e in revoked_entries("agent")] == ["deactivated"]
    # Reactivated, the user logs in again for a new token; the old one stays dead.
    agent.is_active = True
    agent.save()
    assert not opens_the_api(key)


def test_a_password_change_revokes_the_users_tokens(agent):
    key = login("agent").json()["token"]
    form = PasswordChangeForm(
        agent,
        {
            "old_password": PASSWORD,
            "new_password1": "a quite different secret 42",
            "new_password2": "a quite different secret 42",
        },
    )
    assert form.is_valid(), form.errors
    form.save()
    assert not opens_the_api(key)
    assert ApiToken.objects.get(user=agent).revoke_reason == RevokeReason.PASSWORD_CHANGED
    assert [e.details["reason"] for e in revoked_entries("agent")] == ["password_changed"]


def test_a_password_set_by_an_administrator_revokes_the_users_tokens(agent):
    key = login("agent").json()["token"]
    agent.set_password("a new password from the admin")
    agent.save()
    assert not opens_the_api(key)


def test_a_rehash_of_the_same_password_at_login_keeps_the_tokens(agent, settings):
    # A hash from the second configured hasher is upgraded to the first at the next log-in.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    agent.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    agent.save()
    key = tokens.issue(agent, "script").key
    assert login("agent", name="other script").status_code == 200
    agent.refresh_from_db()
    assert agent.password.startswith("md5$")  # re-hashed during that log-in
    assert opens_the_api(key)


def test_saving_a_user_for_other_reasons_keeps_the_tokens(agent):
    key = login("agent").json()["token"]
    agent.first_name = "秀英"
    agent.save()
    agent.refresh_from_db()
    agent.save(update_fields=["last_login"])
    assert opens_the_api(key)


# --- listing and revoking through the API -----------------------------------------------


def test_the_list_shows_only_my_tokens_and_never_a_key(agent, colleague):
    mine = {login("agent", name=n).json()["token"] for n in ("a", "b")}
    login("colleague", name="c")
    response = with_key(next(iter(mine))).get(TOKENS_URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert sorted(r["name"] for r in rows) == ["a", "b"]
    assert {r["user"] for r in rows} == {"agent"}
    assert {r["state"] for r in rows} == {"active"}
    assert not any(key in response.content.decode() for key in mine)
    assert "key_hash" not in rows[0]


def test_a_normal_user_cannot_list_another_users_tokens(agent, colleague):
    key = login("agent").json()["token"]
    login("colleague")
    assert with_key(key).get(TOKENS_URL, {"user": "colleague"}).status_code == 403


def test_an_administrator_lists_anyones_tokens(agent, admin):
    login("agent", name="a")
    response = with_key(login("admin").json()["token"]).get(TOKENS_URL, {"user": "agent"})
    assert [r["name"] for r in response.json()["results"]] == ["a"]


def test_i_revoke_my_own_token_and_it_stops_working(agent):
    keep = login("agent", name="keep").json()["token"]
    drop = login("agent", name="drop").json()["token"]
    target = ApiToken.objects.get(user=agent, name="drop")
    response = with_key(keep).delete(f"{TOKENS_URL}{target.pk}/")
    assert response.status_code == 204
    assert not opens_the_api(drop) and opens_the_api(keep)
    target.refresh_from_db()
    assert target.revoke_reason == RevokeReason.OWNER and target.revoked_by == agent
    [entry] = revoked_entries("agent")
    assert entry.actor == agent and entry.details["tokens"] == [target.pk]
    rows = with_key(keep).get(TOKENS_URL).json()["results"]
    assert {r["name"]: r["state"] for r in rows} == {"keep": "active", "drop": "revoked"}


def test_revoking_another_users_token_is_a_404_for_a_normal_user(agent, colleague):
    key = login("agent").json()["token"]
    theirs = login("colleague").json()["token"]
    their_token = ApiToken.objects.get(user=colleague)
    assert with_key(key).delete(f"{TOKENS_URL}{their_token.pk}/").status_code == 404
    assert opens_the_api(theirs)
    assert not revoked_entries("colleague")


def test_an_administrator_revokes_anyones_token(agent, admin):
    theirs = login("agent").json()["token"]
    token = ApiToken.objects.get(user=agent)
    admin_key = login("admin").json()["token"]
    assert with_key(admin_key).delete(f"{TOKENS_URL}{token.pk}/").status_code == 204
    assert not opens_the_api(theirs)
    token.refresh_from_db()
    assert token.revoke_reason == RevokeReason.ADMIN and token.revoked_by == admin
    [entry] = revoked_entries("agent")
    assert entry.actor == admin


# --- last use, creation audit, storage --------------------------------------------------


def test_a_tokens_last_use_is_recorded(agent):
    key = login("agent").json()["token"]
    assert ApiToken.objects.get(user=agent).last_used is None
    with_key(key).get("/api/v1/customers/")
    assert ApiToken.objects.get(user=agent).last_used is not None


def test_last_use_is_written_at_most_once_a_minute(agent):
    issued = tokens.issue(agent, "script")
    start = timezone.now()
    tokens.authenticate(issued.key, now=start)
    tokens.authenticate(issued.key, now=start + timedelta(seconds=59))
    assert ApiToken.objects.get(pk=issued.token.pk).last_used == start
    tokens.authenticate(issued.key, now=start + timedelta(seconds=61))
    assert ApiToken.objects.get(pk=issued.token.pk).last_used == start + timedelta(seconds=61)


def test_each_token_creation_is_audited_without_the_key(agent):
    key = login("agent", name="nightly").json()["token"]
    entry = AuditEntry.objects.get(action="token_created")
    assert entry.actor == agent and entry.target == "user:agent"
    assert entry.details["name"] == "nightly"
    assert key not in str(entry.details)


def test_the_key_is_long_random_and_not_stored_in_clear(agent):
    key = login("agent").json()["token"]
    assert len(key) >= 40
    assert login("agent", name="second").json()["token"] != key
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        stored = repr(cursor.fetchall())
    assert key not in stored
    assert tokens.hash_key(key) in stored


def test_an_unknown_token_is_a_401(agent):
    login("agent")
    assert not opens_the_api("x" * 43)


# --- the "API tokens" page ----------------------------------------------------------------

PAGE_URL = "/accounts/tokens/"


def test_the_page_lists_my_tokens_and_is_linked_from_the_user_menu(agent, colleague, client):
    mine = tokens.issue(agent, "nightly-report").token
    theirs = tokens.issue(colleague, "their-script").token
    client.force_login(agent)
    html = client.get(PAGE_URL).content.decode()
    assert f'data-token="{mine.pk}"' in html and "nightly-report" in html
    assert f'data-token="{theirs.pk}"' not in html and "their-script" not in html
    assert f'action="/accounts/tokens/{mine.pk}/revoke/"' in html
    assert 'href="/accounts/tokens/"' in client.get("/").content.decode()


def test_revoking_on_the_page_is_a_csrf_protected_post(agent):
    from django.test import Client

    issued = tokens.issue(agent, "script")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    url = f"{PAGE_URL}{issued.token.pk}/revoke/"
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403  # no CSRF token
    assert opens_the_api(issued.key)
    browser.get(PAGE_URL)
    response = browser.post(url, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert response.status_code == 302 and response["Location"] == PAGE_URL
    assert not opens_the_api(issued.key)
    assert revoked_entries("agent")[0].details["reason"] == "owner"


def test_on_the_page_another_users_token_is_a_404_and_their_list_a_403(agent, colleague, client):
    issued = tokens.issue(colleague, "their-script")
    client.force_login(agent)
    assert client.post(f"{PAGE_URL}{issued.token.pk}/revoke/").status_code == 404
    assert opens_the_api(issued.key)
    assert client.get(PAGE_URL, {"user": "colleague"}).status_code == 403


def test_an_administrator_lists_and_revokes_anyones_tokens_on_the_page(agent, admin, client):
    issued = tokens.issue(agent, "script")
    client.force_login(admin)
    html = client.get(PAGE_URL, {"user": "agent"}).content.decode()
    assert f'data-token="{issued.token.pk}"' in html
    response = client.post(f"{PAGE_URL}{issued.token.pk}/revoke/")
    assert response["Location"] == f"{PAGE_URL}?user=agent"
    assert not opens_the_api(issued.key)
    assert revoked_entries("agent")[0].actor == admin


@pytest.mark.parametrize("name", ["\x00", "x" * 10_000, "<script>", "%ff"])
def test_an_administrator_naming_a_hostile_user_gets_an_empty_list_not_a_500(admin, client, name):
    client.force_login(admin)
    page = client.get(PAGE_URL, {"user": name, "page": "99999999999999999999"})
    response = with_key(login("admin").json()["token"]).get(TOKENS_URL, {"user": name})
    if "\x00" in name:  # NUL in a query string is refused before any view (RefuseNulMiddleware)
        assert page.status_code == response.status_code == 400
        return
    assert page.status_code == 200
    assert response.status_code == 200 and response.json()["count"] == 0
