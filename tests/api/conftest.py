"""API fixtures: clients logged in by token, more roles, and a small two-city network."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.data import CityData, build_nanjing, build_suzhou, token_client
from tests.factories import UserFactory


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated with USER's token; api(None) → anonymous."""
    return lambda user: APIClient() if user is None else token_client(user)


@pytest.fixture
def network_ops(db):
    return UserFactory(username="netops", roles=["network_ops"], city_codes=["NJ"])


@pytest.fixture
def nj(db) -> CityData:
    """Nanjing's network, its customer carrying the personal data tests look for."""
    return build_nanjing()


@pytest.fixture
def sz(db) -> CityData:
    return build_suzhou()
