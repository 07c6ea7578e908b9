"""The main pages of each role, rendered in zh-hans over a small province with data in several
states, show no English status or severity word and no translation from the wrong domain
(issue 12 §1): a closed work order is never 拆机, a suspended one never 停机.

Only the visible text counts: attributes (data-state="closed"), scripts, styles and URLs may
hold codes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sqm.complaints.workorders import do_transition, record_callback
from tests.complaints.helpers import record
from tests.factories import AccountFactory, CustomerFactory, OltFactory, UserFactory, onu, port

# English words a Chinese page must not show: statuses, states and severities of every domain.
ENGLISH = (
    "open closed suspended pending paused overdue active cleared merged major minor critical "
    "warning failed delivered scheduled sent sending cancelled escalated replied reopened "
    "queued running done new power-off link-down board-fault high-temperature dying-gasp "
    "met missed draft published"
).split()
ENGLISH_RE = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ENGLISH)) + r")(?![\w-])", re.I)
# An account's words: on a work-order page they mistake a closed order for a cut-off line.
ACCOUNT_WORDS = ("拆机", "停机")


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts, styles or templates."""

    HIDDEN = {"script", "style", "template", "head"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_status_words(text: str) -> list[str]:
    return sorted({m.group(1) for m in ENGLISH_RE.finditer(text)})


def test_the_visible_text_leaves_out_attributes_and_scripts():
    html = (
        '<html><head><title>x</title></head><body><p data-state="closed">已关闭</p>'
        "<script>const s = 'open';</script><a href='/x?state=open'>工单</a></body></html>"
    )
    assert visible_text(html) == "已关闭 工单"
    assert english_status_words("状态 Closed · major, power-off") == [
        "Closed",
        "major",
        "power-off",
    ]
    assert english_status_words("opened_at sent-box reopen") == []


# --- a small province with data in several states ------------------------------------------


@pytest.fixture
def province(db, tmp_path, django_capture_on_commit_callbacks):
    from sqm.network.alarms import parse_alarm
    from sqm.network.ingest import ingest
    from sqm.network.models import FaultEvent
    from sqm.notify.choices import MessageState
    from sqm.notify.models import OutboundMessage

    people = {
        "agent": UserFactory(username="z-agent", roles=["hotline_agent"], city_codes=["NJ"]),
        "first": UserFactory(username="z-first", roles=["first_line"], city_codes=["NJ"]),
        "second": UserFactory(username="z-second", roles=["second_line"], city_codes=["NJ"]),
        "lead": UserFactory(username="z-lead", roles=["team_lead"], city_codes=["NJ"]),
        "noc": UserFactory(username="z-noc", roles=["network_ops"], all_cities=True),
        "quality": UserFactory(username="z-quality", roles=["quality_manager"], all_cities=True),
        "auditor": UserFactory(username="z-auditor", roles=["auditor"], all_cities=True),
        "admin": UserFactory(
            username="z-admin",
            roles=["administrator"],
            is_superuser=True,
            is_staff=True,
            all_cities=True,
        ),
    }
    agent, first = people["agent"], people["first"]

    # The network: a PON port whose fibre was cut (active fault, its SMS in several states)
    # and an ONU that lost power and came back (cleared fault).
    olt = OltFactory(olt_id="OLT-ZH", name="南京玄武OLT09", district="玄武区")
    pon = port(olt, 0, 2, 3)
    customer = CustomerFactory(name="王芳")
    customers = [customer] + [CustomerFactory() for _ in range(3)]
    for n, c in enumerate(customers):
        AccountFactory(account_id=f"ZH-{n}", customer=c, onu=onu(pon, f"ONU-ZH{n}"))
    AccountFactory(account_id="ZH-CLOSED", customer=customer, status="closed")
    lone = onu(port(olt, 0, 3, 1), "ONU-ZH-LONE")
    AccountFactory(account_id="ZH-LONE", customer=CustomerFactory(), onu=lone)
    now = timezone.now().replace(microsecond=0)
    alarms = [
        {"alarm_id": "ZH-PON", "event": "raise", "olt_id": "OLT-ZH", "level": "pon",
         "frame": 0, "slot": 2, "port": 3, "type": "LOS", "severity": "critical",
         "occurred_at": (now - timedelta(hours=2)).isoformat()},
        {"alarm_id": "ZH-ONU", "event": "raise", "olt_id": "OLT-ZH", "level": "onu",
         "frame": 0, "slot": 3, "port": 1, "onu_id": "ONU-ZH-LONE", "type": "power-off",
         "severity": "major", "occurred_at": (now - timedelta(hours=5)).isoformat()},
        {"alarm_id": "ZH-ONU", "event": "clear", "olt_id": "OLT-ZH", "level": "onu",
         "frame": 0, "slot": 3, "port": 1, "onu_id": "ONU-ZH-LONE", "type": "power-off",
         "severity": "major", "occurred_at": (now - timedelta(hours=3)).isoformat()},
        {"alarm_id": "ZH-UNKNOWN", "event": "raise", "olt_id": "OLT-NOWHERE", "level": "olt",
         "type": "link-down", "severity": "critical", "occurred_at": now.isoformat()},
    ]  # fmt: skip
    for n, body in enumerate(alarms, start=1):
        alarm, errors = parse_alarm(body, n)
        assert not errors, errors
        with django_capture_on_commit_callbacks(execute=True):
            ingest([alarm], now=min(timezone.now(), alarm.occurred_at + timedelta(minutes=1)))
    active = FaultEvent.objects.get(type="LOS")
    cleared = FaultEvent.objects.get(type="power-off")
    messages = list(OutboundMessage.objects.order_by("pk"))
    for message, state in zip(
        messages,
        [MessageState.SENT, MessageState.DELIVERED, MessageState.FAILED, MessageState.CANCELLED],
        strict=False,
    ):
        OutboundMessage.objects.filter(pk=message.pk).update(state=state)

    # Work orders: new, escalated, suspended, closed after a satisfied callback, overdue.
    fresh = record(agent, customer=customer, description="宽带断网")
    suspended = record(agent, description="等客户在家")
    do_transition(first, suspended, "accept")
    do_transition(first, suspended, "suspend", "客户出差，约定下周上门")
    closed = record(agent, description="网速慢")
    closed = do_transition(first, closed, "accept")
    closed = do_transition(first, closed, "reply", "已更换端口")
    closed = do_transition(agent, closed, "start_callback")
    closed = record_callback(agent, closed, "satisfied", "客户表示满意")
    late = record(agent, description="超时未处理")
    from sqm.complaints.models import WorkOrder

    past = now - timedelta(hours=3)
    WorkOrder.objects.filter(pk__in=[late.pk, suspended.pk]).update(
        resolve_due=past, warn_at=past - timedelta(hours=10)
    )
    return {
        **people,
        "customer": customer,
        "active": active,
        "cleared": cleared,
        "fresh": fresh,
        "suspended": suspended,
        "closed": closed,
    }


@pytest.fixture
def survey_run(province, tmp_path, django_capture_on_commit_callbacks):
    """A questionnaire with an analysis run, uploaded and analysed as the pages do."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sqm.surveys.models import AnalysisRun, Questionnaire

    try:  # the generator moves to the surveys app (issue 12 §6)
        from sqm.surveys.province import responses as generated
    except ImportError:
        from sqm.core.generator import surveys as generated
    for pending in generated.write_surveys(tmp_path, 1, 600, timezone.localdate(), key="zh"):
        pending.commit()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(province["quality"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:list"),
            {
                "questionnaire_file": SimpleUploadedFile(
                    "questionnaire.yaml", (tmp_path / "questionnaire.yaml").read_bytes()
                ),
                "responses": SimpleUploadedFile(
                    "survey.csv", (tmp_path / "survey.csv").read_bytes()
                ),
            },
        )
    q = Questionnaire.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:questionnaire", args=[q.pk]),
            {"structural_model": q.structural_models.get().pk, "wave": "", "bootstrap": "10",
             "enter": "0.05", "remove": "0.10", "grades": "100,80,60,40,20"},
        )  # fmt: skip
    run = AnalysisRun.objects.get()
    assert run.status == "done", run.status
    return run


def pages(p: dict, run=None, kpi_run=None) -> list[tuple[str, str, bool]]:
    """(role, url, is a work-order page) of the main pages of each role."""
    order = lambda o: reverse("complaints:order", args=[o.pk])  # noqa: E731
    customer = reverse("customers:customer", args=[p["customer"].pk])
    listed = [
        ("agent", reverse("home"), False),
        ("agent", reverse("complaints:orders"), True),
        ("agent", order(p["closed"]), True),
        ("agent", order(p["suspended"]), True),
        ("agent", customer, False),  # with the pre-processing panel
        ("first", reverse("home"), False),
        ("first", reverse("complaints:queue"), True),
        ("first", order(p["suspended"]), True),
        ("first", order(p["closed"]), True),
        ("second", reverse("complaints:pool"), True),
        ("lead", reverse("home"), False),
        ("lead", reverse("complaints:overview"), True),
        ("lead", reverse("complaints:orders") + "?record_type=", True),
        ("lead", reverse("complaints:orders") + "?sla=overdue", True),
        ("noc", reverse("home"), False),
        ("noc", reverse("network:faults"), False),
        ("noc", reverse("network:fault", args=[p["active"].pk]), False),
        ("noc", reverse("network:fault", args=[p["cleared"].pk]), False),
        ("noc", reverse("network:fault_history"), False),
        ("noc", reverse("network:unmatched_alarms"), False),
        ("noc", reverse("network:fault_sms"), False),
        ("quality", reverse("home"), False),
        ("quality", reverse("surveys:list"), False),
        ("quality", reverse("core:imports"), False),
        ("auditor", reverse("home"), False),
        ("auditor", reverse("core:audit"), False),
        ("admin", reverse("core:changelog"), False),
        ("admin", reverse("core:imports"), False),
    ]
    if run is not None:
        listed.append(("quality", reverse("surveys:run", args=[run.pk]), False))
    if kpi_run is not None:
        month = f"{kpi_run.month:%Y-%m}"
        listed += [
            ("quality", reverse("quality:dashboard") + f"?month={month}", False),
            ("quality", reverse("quality:indicators"), False),
            ("quality", reverse("quality:indicator", args=["BB-REPAIR-TIMELY"]), False),
            ("quality", reverse("quality:runs"), False),
            ("quality", reverse("quality:run", args=[kpi_run.pk]), False),
            ("quality", reverse("quality:reports"), False),
            ("quality", reverse("quality:report", args=[month]), False),
            ("quality", f"/quality/drill/BB-REPAIR-TIMELY/?month={month}&city=南京", False),
            ("lead", reverse("quality:dashboard") + f"?month={month}", False),
        ]
    return listed


def problems_of(client: Client, url: str, work_order_page: bool) -> list[str]:
    response = client.get(url)
    if response.status_code != 200:
        return [f"HTTP {response.status_code}"]
    text = visible_text(response.content.decode())
    found = [
        f"English: {m.group(1)} in …{text[max(0, m.start() - 30) : m.end() + 30]}…"
        for m in ENGLISH_RE.finditer(text)
    ]
    if work_order_page:
        found += [f"account word: {w}" for w in ACCOUNT_WORDS if w in text]
    return found


def test_the_main_pages_of_every_role_speak_chinese_with_the_right_words(province, survey_run):
    from sqm.quality import services
    from sqm.quality.facts import Month

    last_month = Month(timezone.localdate().replace(day=1)).shifted(-1)
    kpi_run = services.compute_now(last_month, breakdowns=("province", "city"))
    clients = {}
    problems = {}
    for role, url, work_order_page in pages(province, survey_run, kpi_run):
        if role not in clients:
            clients[role] = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            clients[role].force_login(province[role])
        found = problems_of(clients[role], url, work_order_page)
        if found:
            problems[f"{role} {url}"] = found
    assert not problems, problems


def test_the_closed_and_suspended_orders_read_as_work_orders_do(province):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(province["agent"])
    closed = visible_text(
        client.get(reverse("complaints:order", args=[province["closed"].pk])).content.decode()
    )
    suspended = visible_text(
        client.get(reverse("complaints:order", args=[province["suspended"].pk])).content.decode()
    )
    assert "已关闭" in closed and "拆机" not in closed
    assert "已挂起" in suspended and "停机" not in suspended


def test_the_fault_pages_give_alarm_types_and_severities_in_chinese(province):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(province["noc"])
    cleared = visible_text(
        client.get(reverse("network:fault", args=[province["cleared"].pk])).content.decode()
    )
    assert "断电" in cleared and "重要" in cleared
    unmatched = visible_text(client.get(reverse("network:unmatched_alarms")).content.decode())
    assert "链路中断" in unmatched and "紧急" in unmatched
