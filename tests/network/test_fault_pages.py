"""The NOC pages (active events, history, one event, SMS progress, unmatched alarms) and the
fault-event API."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import schemathesis
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings

from sqm.core.models import ChangeLogEntry
from sqm.network.alarms import parse_alarm
from sqm.network.choices import FaultState
from sqm.network.fault_services import set_estimated_recovery
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from tests.api.data import token_client, token_key
from tests.api.test_schemathesis import CHECKS, openapi, wsgi_app  # noqa: F401 (fixture)
from tests.factories import AccountFactory, CustomerFactory, OltFactory, UserFactory, city, onu
from tests.factories import port as make_port

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


def at(hour, minute=0, day=22):
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def network():
    """Nanjing OLT-L: port 0/1/0 with A-1, A-2; port 0/1/1 with A-3 and A-4 (opted out).
    Suzhou OLT-S: port 0/1/0 with S-1."""
    olt = OltFactory(olt_id="OLT-L", name="南京玄武OLT01", district="玄武区")
    pon_a, pon_b = make_port(olt, 0, 1, 0), make_port(olt, 0, 1, 1)
    AccountFactory(account_id="A-1", onu=onu(pon_a, "ONU-1"))
    AccountFactory(account_id="A-2", onu=onu(pon_a, "ONU-2"))
    AccountFactory(account_id="A-3", onu=onu(pon_b, "ONU-3"))
    quiet = CustomerFactory(service_sms_opt_out=True)
    AccountFactory(account_id="A-4", customer=quiet, onu=onu(pon_b, "ONU-4"))
    suzhou = OltFactory(olt_id="OLT-S", name="苏州姑苏OLT01", city=city("SZ"), district="姑苏区")
    AccountFactory(
        account_id="S-1",
        customer=CustomerFactory(city=city("SZ")),
        onu=onu(make_port(suzhou, 0, 1, 0), "ONU-S1"),
    )
    return olt


def alarm(alarm_id, event, when, *, olt="OLT-L", level="pon", port=0, **extra):
    data = {"alarm_id": alarm_id, "event": event, "olt_id": olt, "level": level, "frame": 0,
            "slot": 1, "port": port, "type": "LOS", "severity": "critical",
            "occurred_at": when.isoformat()}  # fmt: skip
    data.update(extra)
    return data


def feed(*bodies, now=NOW):
    alarms = []
    for number, data in enumerate(bodies, start=1):
        parsed, errors = parse_alarm(data, number)
        assert not errors, errors
        alarms.append(parsed)
    return ingest(alarms, now=now)


def fault_of(alarm_id: str) -> FaultEvent:
    return FaultEvent.objects.get(alarms__alarm_id=alarm_id)


@pytest.fixture
def noc(db):
    return UserFactory(username="noc", roles=["network_ops"], city_codes=["NJ"])


@pytest.fixture
def agent_nj(db):
    return UserFactory(username="agent-nj", roles=["hotline_agent"], city_codes=["NJ"])


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def login(client, user):
    client.force_login(user)
    return client


def rows(html: str, table: str) -> list[str]:
    """The data-fault ids of the rows of table TABLE, in order."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-fault="(\d+)"', body)


def cell(html: str, fault: int, state: str) -> str:
    row = html.split(f'<tr data-fault="{fault}"', 1)[1].split("</tr>", 1)[0]
    return re.search(rf'data-state="{state}">(\d+)<', row).group(1)


# --- the active list --------------------------------------------------------------------------


def test_it_lists_active_faults_of_the_users_cities_only(network, noc, en):
    feed(alarm("P0", "raise", at(10)), alarm("S0", "raise", at(10), olt="OLT-S"))
    feed(alarm("P1", "raise", at(10, 1), port=1))
    feed(alarm("P1", "clear", at(10, 2), port=1), now=at(10, 2))
    html = login(en, noc).get("/network/faults/").content.decode()
    assert rows(html, "faults") == [str(fault_of("P0").pk)]  # not Suzhou's, not the cleared one
    assert "OLT-L 0/1/0" in html and "OLT-S" not in html


def test_the_list_counts_sms_by_state_and_opted_out_customers_per_event(network, noc, en):
    feed(alarm("P0", "raise", at(10)), alarm("P1", "raise", at(10), port=1))
    p0, p1 = fault_of("P0"), fault_of("P1")
    first, second = OutboundMessage.objects.filter(fault_event=p0).order_by("id")
    OutboundMessage.objects.filter(pk=first.pk).update(state="sent")
    OutboundMessage.objects.filter(pk=second.pk).update(state="failed")
    html = login(en, noc).get("/network/faults/").content.decode()
    assert (cell(html, p0.pk, "sent"), cell(html, p0.pk, "failed")) == ("1", "1")
    assert cell(html, p0.pk, "scheduled") == "0"
    assert cell(html, p1.pk, "scheduled") == "1"  # A-3; A-4 opted out
    row = html.split(f'<tr data-fault="{p1.pk}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row)[0] == "1"  # one opted out


def test_the_list_costs_the_same_queries_for_one_event_or_many(network, noc, client):
    login(client, noc)
    feed(alarm("P0", "raise", at(10)))
    client.get("/network/faults/")  # warm the caches (content types, session)
    with CaptureQueriesContext(connection) as one:
        client.get("/network/faults/")
    feed(alarm("P1", "raise", at(10), port=1))
    feed(alarm("O9", "raise", at(10), olt="OLT-S", level="olt"))
    with CaptureQueriesContext(connection) as many:
        client.get("/network/faults/")
    assert len(many) == len(one)


# The events start on a fixed day; the page judges staleness at the real now.
@override_settings(SQM_FAULT_STALE_HOURS=24 * 3650)
def test_the_city_summary_counts_events_and_affected_accounts(network, admin, en):
    feed(alarm("P0", "raise", at(10)), alarm("P1", "raise", at(10), port=1))
    feed(alarm("S0", "raise", at(10), olt="OLT-S"))
    html = login(en, admin).get("/network/faults/").content.decode()
    summary = html.split('id="by-city"', 1)[1].split("</table>", 1)[0]
    found = re.findall(
        r'data-city="(\w+)">.*?class="num events">(?:<a[^>]*>)?(\d+)<'
        r'.*?class="num accounts">(\d+)<',
        summary,
    )
    assert found == [("NJ", "2", "4"), ("SZ", "1", "1")]
    assert re.findall(r'data-group="(\w+)"', html) == ["NJ", "SZ"]  # the events by city


def test_the_list_shows_one_city_when_asked(network, admin, en):
    feed(alarm("P0", "raise", at(10)), alarm("S0", "raise", at(10), olt="OLT-S"))
    html = login(en, admin).get("/network/faults/?city=SZ").content.decode()
    assert rows(html, "faults") == [str(fault_of("S0").pk)]


# --- history -----------------------------------------------------------------------------------


def test_history_searches_every_state_by_city_state_level_type_olt_and_dates(network, admin, en):
    feed(alarm("P0", "raise", at(10)))
    feed(alarm("P1", "raise", at(9, day=20), port=1, type="power-off"), now=at(9, day=20))
    feed(alarm("P1", "clear", at(12, day=20), port=1), now=at(12, day=20))
    feed(alarm("O1", "raise", at(11), level="olt"), now=at(11))  # absorbs P0
    feed(alarm("S0", "raise", at(10), olt="OLT-S"))
    p1, o1, s0 = (fault_of(a).pk for a in ("P1", "O1", "S0"))
    p0 = FaultEvent.objects.get(state=FaultState.MERGED).pk  # P0's alarm moved to O1's event
    login(en, admin)

    def found(query: str) -> list[int]:
        response = en.get("/network/faults/history/" + query)
        assert response.status_code == 200
        return [int(pk) for pk in rows(response.content.decode(), "faults")]

    assert sorted(found("")) == sorted([p0, p1, o1, s0])
    assert found("?city=SZ") == [s0]
    assert found("?state=cleared") == [p1]
    assert found("?state=merged") == [p0]
    assert found("?level=olt") == [o1]
    assert found("?type=power-off") == [p1]
    assert sorted(found("?olt=olt-l")) == sorted([p0, p1, o1])
    assert found("?olt=姑苏") == [s0]
    assert found("?started_from=2026-11-20&started_to=2026-11-21") == [p1]
    assert sorted(found("?started_from=2026-11-22")) == sorted([p0, o1, s0])


def test_history_keeps_its_filters_across_pages_and_names_bad_ones(network, admin, en, monkeypatch):
    from sqm.network import fault_views

    monkeypatch.setattr(fault_views, "PER_PAGE", 1)
    feed(alarm("P0", "raise", at(10)), alarm("P1", "raise", at(10), port=1))
    html = login(en, admin).get("/network/faults/history/?city=NJ&state=active").content.decode()
    assert "?city=NJ&amp;state=active&amp;page=2" in html
    bad = en.get("/network/faults/history/?started_from=22.11.2026&state=broken")
    assert bad.status_code == 200
    assert "were not understood" in bad.content.decode()
    assert len(rows(bad.content.decode(), "faults")) == 1  # the rest of the filters still apply


def test_history_is_scoped_to_the_users_cities(network, noc, en):
    feed(alarm("P0", "raise", at(10)), alarm("S0", "raise", at(10), olt="OLT-S"))
    html = login(en, noc).get("/network/faults/history/?city=SZ").content.decode()
    assert rows(html, "faults") == []


# --- one event ---------------------------------------------------------------------------------


def test_the_detail_shows_alarms_absorbed_events_outages_sms_and_a_timeline(network, noc, en):
    feed(alarm("P0", "raise", at(10)))
    feed(alarm("O1", "raise", at(10, 30), level="olt"), now=at(10, 30))
    OutboundMessage.objects.filter(account__account_id="A-1").update(
        state="sent", sent_at=at(10, 5)
    )
    wide, narrow = fault_of("O1"), FaultEvent.objects.get(state=FaultState.MERGED)
    html = login(en, noc).get(f"/network/faults/{wide.pk}/").content.decode()
    alarms = html.split('id="alarms"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'data-alarm="(\w+)"', alarms) == ["P0", "O1"]
    assert rows(html, "absorbed") == [str(narrow.pk)]
    assert "4 in all, 4 still down" in html
    assert re.search(r'id="opted-out">1<', html)
    counts = html.split('id="sms-counts"', 1)[1].split("</table>", 1)[0]
    assert re.search(r'data-kind="fault" data-state="sent">1<', counts)
    assert re.search(r'data-kind="fault" data-state="scheduled">2<', counts)
    assert re.search(r'data-kind="all" data-state="total">3<', html)
    kinds = re.findall(r'<li class="event-(\w+)"', html.split('id="timeline"', 1)[1])
    assert kinds[:3] == ["started", "raised", "notices"]  # P0 at 10:00, its SMS at 10:05
    assert "merged" in kinds
    assert f"Absorbed the narrower fault event #{narrow.pk}" in html
    # The absorbed event's page points at the wider one.
    child = en.get(f"/network/faults/{narrow.pk}/").content.decode()
    assert f'id="merged-into">#{wide.pk}<' in child
    assert "State: active → merged into a wider fault" in child


def test_a_fault_of_another_city_is_not_found(network, noc, client):
    feed(alarm("S0", "raise", at(10), olt="OLT-S"))
    pk = fault_of("S0").pk
    login(client, noc)
    assert client.get(f"/network/faults/{pk}/").status_code == 404
    assert client.get(f"/network/faults/{pk}/progress/").status_code == 404
    response = client.post(f"/network/faults/{pk}/estimate/", {"estimated_recovery": ""})
    assert response.status_code == 404


def test_the_progress_json_counts_sms_by_state_overall_and_per_kind(network, agent_nj, client):
    feed(alarm("P0", "raise", at(10)), alarm("P1", "raise", at(10), port=1))
    fault = fault_of("P0")
    first, second = OutboundMessage.objects.filter(fault_event=fault).order_by("id")
    OutboundMessage.objects.filter(pk=first.pk).update(state="delivered")
    data = login(client, agent_nj).get(f"/network/faults/{fault.pk}/progress/").json()
    assert data["fault"] == fault.pk and data["state"] == "active"
    assert (data["scheduled"], data["delivered"], data["cancelled"]) == (1, 1, 0)
    assert (data["total"], data["done"], data["waiting"], data["percent"]) == (2, 1, 1, 50)
    assert data["kinds"]["fault"]["delivered"] == 1 and data["kinds"]["recovery"]["total"] == 0
    OutboundMessage.objects.filter(pk=second.pk).update(state="cancelled")
    data = client.get(f"/network/faults/{fault.pk}/progress/").json()
    assert (data["total"], data["done"], data["percent"]) == (1, 1, 100)


# --- the estimate ------------------------------------------------------------------------------


def test_setting_the_estimate_rewrites_the_waiting_fault_sms(network, noc, en):
    feed(alarm("P0", "raise", at(10)))
    fault = fault_of("P0")
    went = OutboundMessage.objects.filter(fault_event=fault).order_by("id").first()
    OutboundMessage.objects.filter(pk=went.pk).update(state="sent")
    response = login(en, noc).post(
        f"/network/faults/{fault.pk}/estimate/", {"estimated_recovery": "2026-11-22T18:30"}
    )
    assert response.status_code == 302 and response["Location"] == f"/network/faults/{fault.pk}/"
    fault.refresh_from_db()
    assert fault.estimated_recovery == at(18, 30)
    waiting = OutboundMessage.objects.filter(fault_event=fault, state="scheduled").get()
    assert "预计11月22日18:30前恢复" in waiting.text
    assert "请您耐心等待" in OutboundMessage.objects.get(pk=went.pk).text  # already sent
    entry = ChangeLogEntry.objects.filter(object_id=str(fault.pk)).order_by("-id").first()
    assert entry.user == noc and entry.after["estimated_recovery"].startswith("2026-11-22T")
    html = en.get(response["Location"]).content.decode()
    assert "1 waiting SMS now carry it" in html
    assert re.search(r'id="estimate">2026-11-22 18:30<', html)
    assert "Estimated recovery: none → 2026-11-22 18:30" in html and ">noc<" in html


def test_removing_the_estimate_puts_the_patience_text_back(network, noc, client):
    feed(alarm("P0", "raise", at(10)))
    fault = fault_of("P0")
    set_estimated_recovery(noc, fault, at(18))
    assert "预计" in OutboundMessage.objects.filter(fault_event=fault).first().text
    login(client, noc).post(f"/network/faults/{fault.pk}/estimate/", {"estimated_recovery": ""})
    fault.refresh_from_db()
    assert fault.estimated_recovery is None
    assert all("请您耐心等待" in m.text for m in OutboundMessage.objects.filter(fault_event=fault))


def test_an_estimate_before_the_fault_began_or_on_a_cleared_fault_is_refused(network, noc, en):
    feed(alarm("P0", "raise", at(10)))
    fault = fault_of("P0")
    login(en, noc)
    early = en.post(
        f"/network/faults/{fault.pk}/estimate/", {"estimated_recovery": "2026-11-22T09:00"}
    )
    assert early.status_code == 400 and "after the fault began" in early.content.decode()
    bad = en.post(f"/network/faults/{fault.pk}/estimate/", {"estimated_recovery": "tomorrow"})
    assert bad.status_code == 400
    feed(alarm("P0", "clear", at(11)), now=at(11))
    with pytest.raises(ValidationError):
        set_estimated_recovery(noc, fault, at(18))
    html = en.get(f"/network/faults/{fault.pk}/").content.decode()
    assert 'id="estimate-form"' not in html  # over: nothing to estimate
    fault.refresh_from_db()
    assert fault.estimated_recovery is None


def test_only_users_who_may_change_faults_get_the_estimate_form(network, agent_nj, noc, client):
    feed(alarm("P0", "raise", at(10)))
    fault = fault_of("P0")
    login(client, agent_nj)
    assert 'id="estimate-form"' not in client.get(f"/network/faults/{fault.pk}/").content.decode()
    denied = client.post(f"/network/faults/{fault.pk}/estimate/", {"estimated_recovery": ""})
    assert denied.status_code == 403
    with pytest.raises(PermissionDenied):
        set_estimated_recovery(agent_nj, fault, at(18))
    login(client, noc)
    assert 'id="estimate-form"' in client.get(f"/network/faults/{fault.pk}/").content.decode()


def test_the_service_refuses_a_fault_outside_the_users_cities(network, db):
    feed(alarm("S0", "raise", at(10), olt="OLT-S"))
    noc_nj = UserFactory(username="noc-nj", roles=["network_ops"], city_codes=["NJ"])
    with pytest.raises(PermissionDenied):
        set_estimated_recovery(noc_nj, fault_of("S0"), at(18))


# --- unmatched alarms and the navigation ------------------------------------------------------


def test_unmatched_alarms_are_listed_newest_first_for_alarm_readers(network, noc, agent_nj, en):
    feed(alarm("X1", "raise", at(10), olt="OLT-NOWHERE", level="olt"))
    feed(alarm("X2", "raise", at(10, 1), olt="OLT-L", level="onu", onu_id="ONU-GONE"))
    feed(alarm("P0", "raise", at(10)))
    html = login(en, noc).get("/network/faults/unmatched/").content.decode()
    assert re.findall(r'data-alarm="(\w+)"', html) == ["X2", "X1"]
    assert "OLT-NOWHERE" in html and "ONU-GONE" in html
    login(en, agent_nj)
    assert en.get("/network/faults/unmatched/").status_code == 403
    assert 'href="/network/faults/unmatched/"' not in en.get("/network/faults/").content.decode()


def test_the_top_bar_links_to_the_fault_pages_for_users_who_see_faults(noc, auditor, client):
    html = login(client, noc).get("/").content.decode()
    assert 'href="/network/faults/"' in html
    assert 'href="/network/faults/"' not in login(client, auditor).get("/").content.decode()


def test_the_pages_speak_chinese_by_default(network, noc, client):
    feed(alarm("P0", "raise", at(10)))
    login(client, noc)
    for url in ("/network/faults/", "/network/faults/history/", "/network/faults/unmatched/",
                f"/network/faults/{fault_of('P0').pk}/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-hans"' in response.content.decode()


# --- the API -----------------------------------------------------------------------------------


def test_the_api_lists_fault_events_filtered_by_state_city_and_level(network, admin, noc):
    feed(alarm("P0", "raise", at(10)), alarm("S0", "raise", at(10), olt="OLT-S"))
    feed(alarm("P1", "raise", at(10, 1), port=1))
    feed(alarm("P1", "clear", at(10, 2), port=1), now=at(10, 2))
    api = token_client(admin)

    def ids(query: str = "") -> list[str]:
        response = api.get("/api/v1/fault-events/" + query)
        assert response.status_code == 200, response.content
        return sorted(r["element"] for r in response.json()["results"])

    assert ids() == ["OLT-L 0/1/0", "OLT-L 0/1/1", "OLT-S 0/1/0"]
    assert ids("?state=active") == ["OLT-L 0/1/0", "OLT-S 0/1/0"]
    assert ids("?city=NJ&state=cleared") == ["OLT-L 0/1/1"]
    assert ids("?level=olt") == []
    assert api.get("/api/v1/fault-events/?state=broken").status_code == 400
    mine = token_client(noc).get("/api/v1/fault-events/").json()
    assert {r["city"] for r in mine["results"]} == {"NJ"}
    row = mine["results"][0]
    assert set(row["sms"]) >= {"scheduled", "sending", "sent", "delivered", "failed",
                               "cancelled", "total", "done", "percent"}  # fmt: skip


def test_the_api_gives_one_event_with_its_sms_counts(network, noc):
    feed(alarm("P0", "raise", at(10)))
    fault = fault_of("P0")
    OutboundMessage.objects.filter(fault_event=fault).filter(account__account_id="A-1").update(
        state="sent"
    )
    data = token_client(noc).get(f"/api/v1/fault-events/{fault.pk}/").json()
    assert (data["level"], data["olt"], data["city"], data["state"]) == (
        "pon",
        "OLT-L",
        "NJ",
        "active",
    )
    assert data["affected_accounts"] == 2 and data["opted_out"] == 0
    assert (data["sms"]["sent"], data["sms"]["scheduled"], data["sms"]["percent"]) == (1, 1, 50)


def test_the_api_sets_the_estimate_only_and_rewrites_waiting_sms(network, noc, agent_nj, outsider):
    feed(alarm("P0", "raise", at(10)), alarm("S0", "raise", at(10), olt="OLT-S"))
    fault, other = fault_of("P0"), fault_of("S0")
    url = f"/api/v1/fault-events/{fault.pk}/"
    api = token_client(noc)
    response = api.patch(
        url, {"estimated_recovery": "2026-11-22T18:00:00+08:00", "state": "cleared"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "active"  # only the estimate is writable
    assert response.json()["estimated_recovery"] == "2026-11-22T18:00:00+08:00"
    assert all(
        "预计11月22日18:00前恢复" in m.text
        for m in OutboundMessage.objects.filter(fault_event=fault)
    )
    entry = ChangeLogEntry.objects.filter(object_id=str(fault.pk)).order_by("-id").first()
    assert entry.user == noc
    early = api.patch(url, {"estimated_recovery": "2026-11-22T09:00:00+08:00"}, format="json")
    assert early.status_code == 400 and "estimated_recovery" in early.json()
    assert api.put(url, {"estimated_recovery": None}, format="json").status_code == 405
    assert api.patch(f"/api/v1/fault-events/{other.pk}/", {}, format="json").status_code == 404
    denied = token_client(agent_nj).patch(url, {"estimated_recovery": None}, format="json")
    assert denied.status_code == 403
    assert token_client(outsider).get(url).status_code == 404


FAULT_OPERATIONS = sorted(
    (path, method.upper())
    for path, item in openapi()["paths"].items()
    for method in item
    if path.startswith("/api/v1/fault-events/") and method in {"get", "patch"}
)


def test_the_fault_event_operations_are_in_the_schema():
    assert FAULT_OPERATIONS == [
        ("/api/v1/fault-events/", "GET"),
        ("/api/v1/fault-events/{id}/", "GET"),
        ("/api/v1/fault-events/{id}/", "PATCH"),
    ]


@pytest.mark.parametrize(
    ("path", "method"), FAULT_OPERATIONS, ids=[f"{m} {p}" for p, m in FAULT_OPERATIONS]
)
def test_the_fault_event_api_conforms_to_its_schema_on_a_real_event(
    network,
    wsgi_app,  # noqa: F811
    admin,
    path,
    method,
):
    feed(alarm("P0", "raise", at(10)), alarm("P1", "raise", at(10), port=1))
    feed(alarm("P1", "clear", at(10, 2), port=1), now=at(10, 2))
    schema = schemathesis.openapi.from_dict(openapi())
    schema.app = wsgi_app
    operation = schema[path][method]
    headers = {"Authorization": f"Token {token_key(admin)}"}
    cases = operation.as_strategy()
    if "{id}" in path:
        cases = operation.as_strategy(path_parameters={"id": fault_of("P0").pk})

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
