"""Stale fault events on the pages: the fault list's filter and badge, the event page's
last activity and close form, the close and bulk-close posts, the NOC's and the agent's
home panels and the customer page's pre-processing panel (docs/faults.md, "Lost clears")."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sqm.network.alarms import parse_alarm
from sqm.network.fault_services import close_as_stale
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent, Outage
from sqm.notify.models import OutboundMessage
from tests.api.data import token_client
from tests.factories import AccountFactory, CustomerFactory, OltFactory, UserFactory, city, onu
from tests.factories import port as make_port
from tests.home_helpers import follow, read_home

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def raise_onu(olt_id, onu_id, when, number=1):
    body = {"alarm_id": f"{onu_id}-R", "event": "raise", "olt_id": olt_id, "level": "onu",
            "onu_id": onu_id, "type": "LOS", "severity": "major",
            "occurred_at": when.isoformat()}  # fmt: skip
    parsed, errors = parse_alarm(body, number)
    assert not errors, errors
    ingest([parsed], now=when)
    return FaultEvent.objects.get(onu__onu_id=onu_id)


@pytest.fixture
def faults():
    """Nanjing: ONU-G1 lost its clear four days ago (stale), ONU-G2 went down an hour ago;
    Suzhou: ONU-GS lost its clear five days ago."""
    now = timezone.now().replace(microsecond=0)
    olt = OltFactory(olt_id="OLT-G", name="南京建邺OLT03", district="建邺区")
    pon = make_port(olt, 0, 1, 0)
    customer = CustomerFactory(customer_id="C-STALE")
    AccountFactory(account_id="G-1", customer=customer, onu=onu(pon, "ONU-G1"))
    AccountFactory(account_id="G-2", onu=onu(pon, "ONU-G2"))
    suzhou = OltFactory(olt_id="OLT-GS", name="苏州吴中OLT03", city=city("SZ"), district="吴中区")
    AccountFactory(
        account_id="GS-1",
        customer=CustomerFactory(city=city("SZ")),
        onu=onu(make_port(suzhou, 0, 1, 0), "ONU-GS"),
    )
    return {
        "stale": raise_onu("OLT-G", "ONU-G1", now - timedelta(days=4)),
        "current": raise_onu("OLT-G", "ONU-G2", now - timedelta(hours=1)),
        "suzhou": raise_onu("OLT-GS", "ONU-GS", now - timedelta(days=5)),
        "customer": customer,
    }


@pytest.fixture
def noc():
    return UserFactory(username="g-noc", roles=["network_ops"], city_codes=["NJ"])


@pytest.fixture
def agent():
    return UserFactory(username="g-agent", roles=["hotline_agent"], city_codes=["NJ"])


def shown(response) -> list[int]:
    return [f.pk for f in response.context["faults"]]


def test_the_fault_list_filters_and_badges_the_stale_events(client, faults, noc):
    client.force_login(noc)
    everything = client.get(reverse("network:faults"))
    assert set(shown(everything)) == {faults["stale"].pk, faults["current"].pk}
    html = everything.content.decode()
    assert html.count('data-stale="1"') == 1 and 'id="stale-note"' in html
    assert 'id="bulk-close-form"' in html
    only_stale = client.get(reverse("network:faults"), {"stale": "1"})
    assert shown(only_stale) == [faults["stale"].pk]
    current = client.get(reverse("network:faults"), {"stale": "0"})
    assert shown(current) == [faults["current"].pk]
    [row] = everything.context["summary"]
    assert (row["events"], row["accounts"], row["stale"]) == (1, 1, 1)


def test_the_fault_lists_city_summary_counts_current_events_and_stale_ones_apart(
    client, faults, noc
):
    client.force_login(noc)
    html = client.get(reverse("network:faults")).content.decode()
    summary = html.split('id="by-city"', 1)[1].split("</table>", 1)[0]
    # Each number links to the list it counts: the current events, the stale ones.
    assert '<a href="?city=NJ&amp;stale=0">1</a>' in summary
    assert '<a href="?city=NJ&amp;stale=1">1</a>' in summary
    assert follow(client, reverse("network:faults") + "?city=NJ&stale=0") == 1
    assert follow(client, reverse("network:faults") + "?city=NJ&stale=1") == 1


def test_the_event_page_says_why_it_is_stale_and_offers_the_close_form(client, faults, noc):
    client.force_login(noc)
    html = client.get(reverse("network:fault", args=[faults["stale"].pk])).content.decode()
    assert 'id="stale-badge"' in html and 'id="last-activity"' in html
    assert "its clear was probably lost" in html and "close the event as stale" in html
    assert 'id="close-form"' in html and 'name="notify"' in html and 'name="reason"' in html
    html = client.get(reverse("network:fault", args=[faults["current"].pk])).content.decode()
    assert 'id="stale-badge"' not in html and 'id="close-form"' not in html


def test_an_agent_sees_the_badge_but_no_close_form_and_may_not_post(client, faults, agent):
    client.force_login(agent)
    stale = faults["stale"]
    html = client.get(reverse("network:fault", args=[stale.pk])).content.decode()
    assert 'id="stale-badge"' in html and 'id="close-form"' not in html
    assert "close the event as stale" not in html and "may well be back" in html
    listing = client.get(reverse("network:faults")).content.decode()
    assert 'id="stale-note"' in listing and 'id="bulk-close-form"' not in listing
    assert "close them as stale" not in listing and "close it as stale" not in listing
    response = client.post(reverse("network:fault_close_stale", args=[stale.pk]), {"reason": "x"})
    assert response.status_code == 403
    response = client.post(
        reverse("network:faults_close_stale"), {"reason": "x", "older_than_days": 3}
    )
    assert response.status_code == 403
    assert FaultEvent.objects.get(pk=stale.pk).state == "active"


def test_a_noc_user_of_another_city_cannot_close_it(client, faults):
    suzhou_noc = UserFactory(username="g-noc-sz", roles=["network_ops"], city_codes=["SZ"])
    client.force_login(suzhou_noc)
    url = reverse("network:fault_close_stale", args=[faults["stale"].pk])
    assert client.post(url, {"reason": "已现场核实恢复"}).status_code == 404
    assert FaultEvent.objects.get(pk=faults["stale"].pk).state == "active"


def test_closing_from_the_page_needs_a_reason_and_confirms(client, faults, noc):
    client.force_login(noc)
    stale = faults["stale"]
    url = reverse("network:fault_close_stale", args=[stale.pk])
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400 and 'id="close-form"' in refused.content.decode()
    assert FaultEvent.objects.get(pk=stale.pk).state == "active"
    response = client.post(url, {"reason": "已现场核实恢复"}, follow=True)
    html = response.content.decode()
    assert f"Fault event #{stale.pk} closed as stale" in html
    assert 'id="close-reason"' in html and "已现场核实恢复" in html
    assert 'data-kind="closed"' in html  # on the timeline
    stale.refresh_from_db()
    assert stale.state == "closed"
    assert not Outage.objects.filter(fault_event=stale, ended_at__isnull=True).exists()
    assert not OutboundMessage.objects.filter(fault_event=stale, kind="recovery").exists()
    # Closing a current event is refused: it is not stale.
    current = reverse("network:fault_close_stale", args=[faults["current"].pk])
    assert client.post(current, {"reason": "已现场核实恢复"}).status_code == 400


def test_the_bulk_close_closes_the_users_stale_events(client, faults, noc):
    client.force_login(noc)
    url = reverse("network:faults_close_stale")
    too_soon = client.post(url, {"reason": "核实", "older_than_days": 1})
    assert too_soon.status_code == 400
    response = client.post(url, {"reason": "批量核实恢复", "older_than_days": 3}, follow=True)
    assert "1 stale fault event closed." in response.content.decode()
    states = dict(FaultEvent.objects.values_list("onu__onu_id", "state"))
    assert states == {"ONU-G1": "closed", "ONU-G2": "active", "ONU-GS": "active"}


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return read_home(response.content.decode())[1]


def test_the_nocs_panel_counts_current_events_and_the_stale_ones_apart_like_the_agents(
    client, faults, noc, agent
):
    noc_figures = home(client, noc)
    assert noc_figures["active_faults"][0] == "1" and noc_figures["affected_accounts"][0] == "1"
    assert noc_figures["stale_faults"][0] == "1"
    assert follow(client, noc_figures["stale_faults"][1]) == 1
    assert follow(client, noc_figures["active_faults"][1]) == 1
    agent_figures = home(client, agent)
    for key in ("active_faults", "affected_accounts", "stale_faults"):
        assert noc_figures[key][0] == agent_figures[key][0], key


def test_the_nocs_city_rows_count_only_the_current_events(client, faults, noc):
    client.force_login(noc)
    html = client.get(reverse("home")).content.decode()
    assert "1 events, 1 accounts" in html and "2 events" not in html
    assert "?city=NJ&amp;stale=0" in html


def test_the_agents_known_faults_leave_the_stale_ones_apart(client, faults, agent):
    figures = home(client, agent)
    assert figures["active_faults"][0] == "1" and figures["affected_accounts"][0] == "1"
    assert follow(client, figures["active_faults"][1]) == 1
    assert figures["stale_faults"][0] == "1"
    assert follow(client, figures["stale_faults"][1]) == 1


def test_the_customer_page_says_the_fault_is_stale_not_a_current_outage(client, faults, agent):
    client.force_login(agent)
    page = client.get(reverse("customers:customer", args=[faults["customer"].pk]))
    html = page.content.decode()
    stale = faults["stale"]
    assert f'id="stale-{stale.pk}"' in html and "its clear was probably lost" in html
    assert "answer from it rather than opening a work order" not in html


def test_the_api_says_which_events_are_stale_and_why_one_was_closed(faults, noc):
    api = token_client(noc)
    listed = api.get("/api/v1/fault-events/?state=active").json()["results"]
    rows = {row["id"]: row for row in listed}
    assert rows[faults["stale"].pk]["stale"] is True
    assert rows[faults["current"].pk]["stale"] is False
    assert rows[faults["stale"].pk]["last_activity"] is not None
    close_as_stale(noc, faults["stale"], "已现场核实恢复")
    data = api.get(f"/api/v1/fault-events/{faults['stale'].pk}/").json()
    assert (data["state"], data["stale"], data["close_reason"]) == (
        "closed",
        False,
        "已现场核实恢复",
    )  # noqa: E501
