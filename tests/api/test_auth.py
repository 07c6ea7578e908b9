import pytest
from django.conf import settings
from rest_framework.test import APIClient

from sqm.api.models import ApiToken
from sqm.api.tokens import hash_key
from sqm.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "correct horse battery"  # tests.factories.UserFactory


def obtain(username: str, password: str, fmt: str = "json"):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format=fmt)


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_it_issues_a_token_that_opens_the_api(agent, nj, fmt):
    response = obtain("agent", PASSWORD, fmt)
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get(user=agent).key_hash == hash_key(token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/customers/").json()["count"] == 1


def test_a_token_login_is_audited_and_sets_the_last_login(agent):
    assert obtain("agent", PASSWORD).status_code == 200
    entry = AuditEntry.objects.get(action="login")
    assert entry.actor == agent and entry.target == "user:agent"
    agent.refresh_from_db()
    assert agent.last_login is not None


def test_a_wrong_password_is_refused_and_audited(agent):
    response = obtain("agent", "wrong password")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert AuditEntry.objects.filter(action="login_failed", target="user:agent").count() == 1


def test_it_refuses_an_inactive_user(agent):
    agent.is_active = False
    agent.save()
    assert obtain("agent", PASSWORD).status_code == 400


def test_it_locks_the_user_out_after_repeated_failures_through_the_token_endpoint(agent):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    statuses = [obtain("agent", f"guess {n}").status_code for n in range(limit)]
    assert statuses == [400] * (limit - 1) + [429]
    # Locked out: even the right password is refused now, and no token is issued.
    response = obtain("agent", PASSWORD)
    assert response.status_code == 429
    assert "detail" in response.json() and "token" not in response.json()
    assert not ApiToken.objects.filter(user=agent).exists()


def test_a_lock_out_through_the_token_endpoint_also_locks_the_web_login(agent, client):
    for n in range(settings.AXES_FAILURE_LIMIT):
        obtain("agent", f"guess {n}")
    response = client.post("/accounts/login/", {"username": "agent", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_failure_count(agent):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        obtain("agent", f"guess {n}")
    assert obtain("agent", PASSWORD).status_code == 200
    assert obtain("agent", "one more guess").status_code == 400


def test_the_api_accepts_a_web_session(agent, nj, client):
    client.force_login(agent)
    response = client.get("/api/v1/customers/")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_a_web_session_needs_the_csrf_token_to_write(agent, nj):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        f"/api/v1/customers/{nj.customer.pk}/reveal/", {"reason": "核实"}, format="json"
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_anonymous_requests_are_asked_to_authenticate(nj):
    response = APIClient().get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_token_is_refused(nj):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get("/api/v1/customers/").status_code == 401


def test_a_lock_out_at_the_web_login_also_locks_the_token_endpoint(agent, client):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "agent", "password": f"guess {n}"})
    assert obtain("agent", PASSWORD).status_code == 429


def test_deactivating_a_user_stops_their_token_at_once(agent, nj):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {obtain('agent', PASSWORD).json()['token']}")
    assert client.get("/api/v1/customers/").status_code == 200
    agent.is_active = False
    agent.save()
    assert client.get("/api/v1/customers/").status_code == 401
