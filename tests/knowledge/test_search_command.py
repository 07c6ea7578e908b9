"""`sqm search QUERY [--kind] [--city] [--limit] [--json]` and `sqm search reindex`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from sqm.knowledge.models import SearchDocument
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("search", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def agent(db):
    return UserFactory(username="q-agent", roles=["first_line"], city_codes=["NJ"])


def test_json_prints_one_object_per_hit_best_first_with_the_fixed_keys(agent):
    order = record(agent, code="NQ.BB.04", description="宽带断网，光猫红灯，客户13912345678")
    out, _err = run("宽带断网", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [set(line) for line in lines] == [{"kind", "ref", "title", "snippet", "score"}]
    assert lines[0]["kind"] == "order" and lines[0]["ref"] == order.number
    assert "<mark>宽带断网</mark>" in lines[0]["snippet"]
    assert "13912345678" not in out


def test_a_user_given_with_as_finds_only_what_they_may_see(agent):
    record(agent, code="NQ.BB.04", description="宽带断网")
    UserFactory(username="q-sz", roles=["first_line"], city_codes=["SZ"])
    assert run("宽带断网", "--as", "q-sz", "--json")[0] == ""
    assert run("宽带断网", "--city", "SZ", "--json")[0] == ""
    assert len(run("宽带断网", "--city", "NJ", "--json")[0].splitlines()) == 1


def test_bad_arguments_are_clear_errors(agent):
    with pytest.raises(CommandError, match="No user"):
        run("宽带", "--as", "nobody")
    with pytest.raises(CommandError, match="No city"):
        run("宽带", "--city", "XX")
    with pytest.raises(CommandError, match="limit"):
        run("宽带", "--limit", "0")


def test_reindex_rebuilds_the_index(agent):
    record(agent, code="NQ.BB.04", description="宽带断网")
    SearchDocument.objects.all().delete()
    out, _err = run("reindex")
    assert "1" in out
    assert SearchDocument.objects.count() == 1
