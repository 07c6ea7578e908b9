"""SMS templates are checked when edited; the demo takes recent alarms into the live path."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sqm.core import demo
from sqm.network.models import FaultEvent, Outage
from sqm.network.province.demo import load_alarm_history
from sqm.notify.models import SmsTemplate
from tests.factories import AccountFactory, OltFactory, onu, port

pytestmark = pytest.mark.django_db


def test_a_template_with_an_unknown_variable_is_refused():
    template = SmsTemplate(kind="fault", text="{signature}{area}故障，{recovered}已恢复")
    with pytest.raises(ValidationError, match="recovered"):
        template.clean()


def test_a_template_with_an_unpaired_brace_is_refused():
    with pytest.raises(ValidationError):
        SmsTemplate(kind="recovery", text="{area 已恢复").clean()


def test_the_default_templates_pass_their_own_check():
    for template in SmsTemplate.objects.all():
        template.clean()


def test_the_admin_edits_templates_and_fault_types(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/notify/smstemplate/").status_code == 200
    assert client.get("/admin/network/faulttype/").status_code == 200


def test_the_demo_ingests_the_whole_alarm_history_and_raises_a_live_fault(settings, tmp_path):
    settings.SQM_HOME = tmp_path
    olt = OltFactory(olt_id="OLT-D")
    AccountFactory(onu=onu(port(olt, 0, 1, 0), "ONU-D1"))
    quiet = OltFactory(olt_id="OLT-E")
    AccountFactory(onu=onu(port(quiet, 0, 1, 0), "ONU-E1"))
    out = tmp_path / "demo"
    out.mkdir()
    now = timezone.now()

    def line(alarm_id, event, when):
        return json.dumps({"alarm_id": alarm_id, "event": event, "olt_id": "OLT-D",
                           "level": "olt", "type": "LOS", "severity": "critical",
                           "occurred_at": when.isoformat()})  # fmt: skip

    lines = [
        line("OLD", "raise", now - timedelta(days=30)),
        line("OLD", "clear", now - timedelta(days=29)),
        line("NEW", "raise", now - timedelta(hours=5)),
    ]
    (out / "alarms.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    said = []
    load = demo.DemoLoad(out, 1, 1, now.date(), said.append, {"alarms": "alarms.jsonl"})
    live = load_alarm_history(load)
    # A month-old outage is history now (the last 7 days only, before): cleared.
    assert FaultEvent.objects.get(state="cleared").started_at == now - timedelta(days=30)
    # The alarm of five hours ago is still active; the live fault is raised on the OLT
    # without a fault (a fault of its own).
    assert FaultEvent.objects.filter(state="active").count() == 2
    assert FaultEvent.objects.get(state="active", olt=olt).started_at == now - timedelta(hours=5)
    assert live.olt == quiet and live.started_at > now - timedelta(hours=1)
    assert Outage.objects.filter(ended_at__isnull=True).count() == 2
