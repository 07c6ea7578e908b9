"""The people of the complaint tests: Nanjing front line, second line and team lead, and
Suzhou staff who must not touch Nanjing's work orders."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def people(db):
    return {
        "agent": UserFactory(username="c-agent", roles=["hotline_agent"], city_codes=["NJ"]),
        "first": UserFactory(username="c-first", roles=["first_line"], city_codes=["NJ"]),
        "second": UserFactory(username="c-second", roles=["second_line"], city_codes=["NJ"]),
        "lead": UserFactory(username="c-lead", roles=["team_lead"], city_codes=["NJ"]),
        "sz_lead": UserFactory(username="c-sz-lead", roles=["team_lead"], city_codes=["SZ"]),
        "outsider": UserFactory(username="c-outsider", roles=["first_line"], city_codes=["SZ"]),
    }
