"""Shared fixtures: the people of a Healthchecks-style base case.

- `agent`: a hotline agent in Nanjing (the owner of Nanjing's data);
- `colleague`: another Nanjing hotline agent;
- `outsider`: a hotline agent in Suzhou, who must see none of Nanjing;
- `first_line`, `quality_manager`: Nanjing's first-line support and quality manager;
- `auditor`, `admin`: the auditor and the administrator (all cities).
"""

import pytest

from sqm.core.calendar import invalidate_calendar
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 as configured costs ~0.5 s per user; tests only need passwords to work."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Services called directly speak English in tests (pages still default to zh-hans)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_business_calendar():
    """A rolled-back test sends no delete signal: never let a cached calendar (or cached SLA
    policies and category tree) leak across."""
    from sqm.complaints.sla import forget_policies

    invalidate_calendar()
    forget_policies()
    yield
    invalidate_calendar()
    forget_policies()


@pytest.fixture(autouse=True)
def own_audit_head_file(settings, tmp_path):
    """Each test appends audit heads to its own file: heads committed by one test (live
    server, transactional tests) must not be held against another test's database."""
    settings.SQM_AUDIT_HEAD_FILE = str(tmp_path / "audit-heads.log")
    settings.SQM_AUDIT_SYSLOG = ""


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL the audit table refuses UPDATE, DELETE and TRUNCATE, but the test runner
    empties tables with TRUNCATE between transactional tests, and a serialized rollback
    re-saves the rows migrate wrote (an UPDATE where they still exist). So the test database
    allows TRUNCATE and starts with an empty audit log; tests that tamper disable the row
    trigger themselves, as the table's owner could."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER sqm_audit_no_truncate")
                cursor.execute("TRUNCATE core_auditentry, core_audithead")


@pytest.fixture
def agent(db):
    return UserFactory(username="agent", roles=["hotline_agent"], city_codes=["NJ"])


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", roles=["hotline_agent"], city_codes=["NJ"])


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider", roles=["hotline_agent"], city_codes=["SZ"])


@pytest.fixture
def first_line(db):
    return UserFactory(username="firstline", roles=["first_line"], city_codes=["NJ"])


@pytest.fixture
def quality_manager(db):
    return UserFactory(username="quality", roles=["quality_manager"], city_codes=["NJ"])


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", roles=["auditor"], all_cities=True)


@pytest.fixture
def admin(db):
    return UserFactory(
        username="admin", roles=["administrator"], is_superuser=True, is_staff=True, all_cities=True
    )
