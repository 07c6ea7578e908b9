"""The network side's home panels: the agent's known faults in their cities and the NOC's
active events, accounts affected and fault-SMS pipeline, each number equal to the list it
links to and limited to the user's cities."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from sqm.notify.choices import MessageState
from sqm.notify.models import OutboundMessage
from tests.factories import AccountFactory, CustomerFactory, OltFactory, UserFactory, city, onu
from tests.factories import port as make_port
from tests.home_helpers import follow, read_home

pytestmark = pytest.mark.django_db


@pytest.fixture
def faults():
    """Now: a Nanjing PON port down with two accounts, a Suzhou one with one account."""
    olt = OltFactory(olt_id="OLT-H", name="南京玄武OLT02", district="玄武区")
    pon = make_port(olt, 0, 1, 0)
    AccountFactory(account_id="H-1", onu=onu(pon, "ONU-H1"))
    AccountFactory(account_id="H-2", onu=onu(pon, "ONU-H2"))
    suzhou = OltFactory(olt_id="OLT-HS", name="苏州姑苏OLT02", city=city("SZ"), district="姑苏区")
    AccountFactory(
        account_id="HS-1",
        customer=CustomerFactory(city=city("SZ")),
        onu=onu(make_port(suzhou, 0, 1, 0), "ONU-HS1"),
    )
    now = timezone.now().replace(microsecond=0)
    alarms = []
    for number, olt_id in enumerate(("OLT-H", "OLT-HS"), start=1):
        body = {"alarm_id": f"H-{number}", "event": "raise", "olt_id": olt_id, "level": "pon",
                "frame": 0, "slot": 1, "port": 0, "type": "LOS", "severity": "critical",
                "occurred_at": (now - timedelta(minutes=30)).isoformat()}  # fmt: skip
        parsed, errors = parse_alarm(body, number)
        assert not errors
        alarms.append(parsed)
    ingest(alarms, now=now - timedelta(minutes=30))
    return FaultEvent.objects.get(city__code="NJ")


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return read_home(response.content.decode())


def test_the_agent_sees_the_known_faults_of_their_cities_only(client, faults):
    agent = UserFactory(username="h-agent", roles=["hotline_agent"], city_codes=["NJ"])
    panels, figures = home(client, agent)
    assert "known_faults" in panels
    assert figures["active_faults"][0] == "1" and figures["affected_accounts"][0] == "2"
    assert follow(client, figures["active_faults"][1]) == 1


def test_the_nocs_sms_pipeline_counts_what_the_sms_view_lists(client, faults):
    noc = UserFactory(username="h-noc", roles=["network_ops"], city_codes=["NJ"])
    messages = list(OutboundMessage.objects.filter(fault_event=faults).order_by("pk"))
    assert len(messages) >= 2
    now = timezone.now()
    OutboundMessage.objects.filter(pk=messages[0].pk).update(
        state=MessageState.DELIVERED, send_at=now - timedelta(minutes=5)
    )
    # Scheduled two days ago and still waiting: counted as waiting, whatever its day.
    OutboundMessage.objects.filter(pk=messages[1].pk).update(
        state=MessageState.SCHEDULED, send_at=now - timedelta(days=2)
    )
    OutboundMessage.objects.filter(pk__in=[m.pk for m in messages[2:]]).update(
        state=MessageState.CANCELLED
    )
    panels, figures = home(client, noc)
    assert panels == ["noc", "fault_sms"]
    assert figures["active_faults"][0] == "1" and figures["affected_accounts"][0] == "2"
    expected = {"sms_scheduled": "1", "sms_delivered": "1", "sms_sent": "0", "sms_failed": "0"}
    for key, value in expected.items():
        shown, link = figures[key]
        assert shown == value, key
        assert follow(client, link) == int(value), key
