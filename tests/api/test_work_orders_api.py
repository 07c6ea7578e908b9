"""The work-order API: intake with triage, lists that agree with the page, the lifecycle with
its 403/400/409 answers, callback, attachments, breach reasons and batch causes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings

from sqm.complaints import queries
from sqm.complaints.models import ComplaintCause, WorkOrder
from sqm.core.crypto import lookup_hash
from tests.api.data import MOBILE, NAME, token_key
from tests.api.test_schemathesis import CHECKS, openapi, wsgi_app  # noqa: F401 (fixture)
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COMPLAINT = {  # not accepted on the spot: a complaint work order (rule O2)
    "topic": "other",
    "demands": ["restore"],
    "dissatisfied": True,
    "accepted": False,
}
DIRECT_ANSWER = {"topic": "refund", "accepted": True}  # rule F1


@pytest.fixture
def people(db):
    return {
        "agent": UserFactory(username="w-agent", roles=["hotline_agent"], city_codes=["NJ"]),
        "first": UserFactory(username="w-first", roles=["first_line"], city_codes=["NJ"]),
        "second": UserFactory(username="w-second", roles=["second_line"], city_codes=["NJ"]),
        "lead": UserFactory(username="w-lead", roles=["team_lead"], city_codes=["NJ"]),
        "netops": UserFactory(username="w-netops", roles=["network_ops"], city_codes=["NJ"]),
        "outsider": UserFactory(username="w-outsider", roles=["first_line"], city_codes=["SZ"]),
    }


@pytest.fixture
def as_(api):
    """as_(user) → an API client speaking English for USER."""

    def client(user):
        c = api(user)
        c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return c

    return client


def intake(**overrides) -> dict:
    return {
        "customer": "NJ-C1",
        "account": "NJ-A1",
        "channel": "hotline",
        "category": "NQ.BB.01",
        "description": "宽带晚上网速很慢，要求恢复",
        **COMPLAINT,
        **overrides,
    }


def url(order: WorkOrder, action: str = "") -> str:
    return f"/api/v1/work-orders/{order.number}/" + (f"{action}/" if action else "")


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def act(client, order, action, **body):
    return client.post(url(order, "transitions"), {"action": action, **body}, format="json")


# --- triage and intake ---------------------------------------------------------------------


def test_it_triages_intake_facts_without_recording_anything(as_, people):
    response = as_(people["agent"]).post("/api/v1/intake/triage/", COMPLAINT, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["record_type"] == "complaint_work_order"
    assert set(response.json()) == {"record_type", "order", "reason"}
    assert not WorkOrder.objects.exists()


def test_it_answers_bad_intake_facts_with_the_problem_of_each_key(as_, people):
    body = {"topic": "weather", "accepted": "yes", "colour": "red", "demands": ["cake"]}
    response = as_(people["agent"]).post("/api/v1/intake/triage/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"topic", "accepted", "colour", "demands"}
    missing = as_(people["agent"]).post("/api/v1/intake/triage/", {}, format="json")
    assert set(missing.json()) == {"topic", "accepted"}
    not_an_object = as_(people["agent"]).post("/api/v1/intake/triage/", [1], format="json")
    assert not_an_object.status_code == 400 and "non_field_errors" in not_an_object.json()


def test_it_records_a_complaint_work_order_from_an_intake(as_, people, nj):
    response = as_(people["agent"]).post("/api/v1/work-orders/", intake(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"]["record_type"] == "complaint_work_order"
    order = body["work_order"]
    assert order["state"] == "new" and order["number"].startswith("TS")
    assert order["account"] == "NJ-A1" and order["category"] == "NQ.BB.01"
    assert order["topic"] == "other" and order["demands"] == ["restore"]
    assert order["customer"] == {
        "customer_id": "NJ-C1",
        "masked_name": "李**",
        "masked_mobile": "138****5678",
        "tier": "gold",
    }
    assert order["resolve_due"] and order["sla"] == "ontime"
    assert [e["action"] for e in order["events"]] == ["open"]
    assert MOBILE not in response.content.decode() and NAME not in response.content.decode()
    assert WorkOrder.objects.get(number=order["number"]).created_by == people["agent"]


def test_it_records_a_direct_answer_complaint_closed(as_, people, nj):
    body = intake(**DIRECT_ANSWER, demands=[], dissatisfied=False, category="BL.DS.02")
    response = as_(people["agent"]).post("/api/v1/work-orders/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["decision"]["record_type"] == "direct_answer_complaint"
    order = response.json()["work_order"]
    assert order["state"] == "closed" and order["record_type"] == "direct_answer_complaint"
    assert [e["action"] for e in order["events"]] == ["open", "close"]
    assert order["actions"] == []


def test_it_names_each_bad_field_of_an_intake(as_, people, nj):
    body = intake(category="NQ.BB", channel="pigeon", topic="weather", mood="angry")
    del body["description"]
    response = as_(people["agent"]).post("/api/v1/work-orders/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"category", "channel", "topic", "mood", "description"}
    assert "customer" in response.json()["mood"][0]  # the message lists every key
    assert not WorkOrder.objects.exists()


def test_it_answers_a_customer_outside_the_users_cities_like_an_unknown_one(as_, people, nj, sz):
    client = as_(people["agent"])
    elsewhere = client.post(
        "/api/v1/work-orders/", intake(customer="SZ-C1", account=None), format="json"
    )
    unknown = client.post(
        "/api/v1/work-orders/", intake(customer="NOPE", account=None), format="json"
    )
    assert elsewhere.status_code == unknown.status_code == 400
    assert set(elsewhere.json()) == {"customer"}
    assert elsewhere.json()["customer"][0].replace("SZ-C1", "?") == unknown.json()["customer"][
        0
    ].replace("NOPE", "?")
    assert not WorkOrder.objects.exists()


def test_it_refuses_an_account_of_another_customer(as_, people, nj, sz):
    response = as_(people["agent"]).post(
        "/api/v1/work-orders/", intake(account="SZ-A1"), format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"account"}


def test_roles_that_do_not_record_cannot_post_an_intake(as_, people, nj):
    for who in ("second", "netops"):
        response = as_(people[who]).post("/api/v1/work-orders/", intake(), format="json")
        assert response.status_code == 403, who
    assert (
        as_(people["second"]).post("/api/v1/intake/triage/", COMPLAINT, format="json").status_code
        == 403
    )


# --- lists ---------------------------------------------------------------------------------


@pytest.fixture
def orders(people):
    """Four Nanjing orders: plain, upgraded, overdue, and a closed service record."""
    agent = people["agent"]
    plain = record(agent, description="网速慢")
    upgraded = record(agent, channel="regulator", code="BL.DS.02", description="工信部申诉")
    overdue = record(agent, description="频繁掉线")
    WorkOrder.objects.filter(pk=overdue.pk).update(
        resolve_due=timezone.now() - timedelta(hours=1),
        warn_at=timezone.now() - timedelta(hours=3),
    )
    service = record(agent, description="咨询")
    WorkOrder.objects.filter(pk=service.pk).update(record_type="service", state="closed")
    return {"plain": plain, "upgraded": upgraded, "overdue": overdue, "service": service}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sla=overdue", ["overdue"]),
        ("upgraded=1", ["upgraded"]),
        ("upgraded=0&open=1", ["overdue", "plain"]),
        ("record_type=service", ["service"]),
        ("q=频繁", ["overdue"]),
        ("category=BL", ["upgraded"]),
        ("state=closed&record_type=", ["service"]),
    ],
)
def test_the_list_filters_agree_with_the_page(as_, people, orders, query, expected):
    user = people["lead"]
    found = numbers(as_(user).get(f"/api/v1/work-orders/?{query}"))
    page = queries.search(user, queries.Filters.from_query(QueryDict(query)))
    assert found == [order.number for order in page]
    assert sorted(found) == sorted(orders[name].number for name in expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=lost", "state"),
        ("sla=late", "sla"),
        ("upgraded=yes", "upgraded"),
        ("created_from=2026-13-01", "created_from"),
        ("created_to=9999-12-31", "created_to"),
    ],
)
def test_it_rejects_an_invalid_filter_value(as_, people, query, field):
    response = as_(people["lead"]).get(f"/api/v1/work-orders/?{query}")
    assert response.status_code == 400 and field in response.json()


def test_page_links_of_a_mobile_search_carry_its_hash_not_the_number(as_, people, nj):
    first = record(people["agent"], customer=nj.customer, description="网速慢")
    second = record(people["agent"], customer=nj.customer, code="NQ.BB.02", description="掉线")
    client = as_(people["lead"])
    response = client.get(f"/api/v1/work-orders/?q={MOBILE}&limit=1")
    body = response.json()
    assert body["count"] == 2 and body["next"]
    assert MOBILE not in response.content.decode() and NAME not in response.content.decode()
    assert f"mobile_hash={lookup_hash(MOBILE)}" in body["next"]
    following = client.get(body["next"])
    assert MOBILE not in following.content.decode()
    assert sorted(numbers(response) + numbers(following)) == sorted([first.number, second.number])


def test_users_of_another_city_see_none_of_nanjings_orders(as_, people, orders):
    client = as_(people["outsider"])
    assert numbers(client.get("/api/v1/work-orders/?record_type=")) == []
    assert client.get(url(orders["plain"])).status_code == 404


def test_the_detail_has_the_timeline_and_the_callers_actions(as_, people, orders):
    order = orders["plain"]
    detail = as_(people["first"]).get(url(order)).json()
    assert detail["number"] == order.number and detail["version"] == 0
    assert [(e["action"], e["to_state"], e["user"]) for e in detail["events"]] == [
        ("open", "new", "w-agent")
    ]
    assert detail["actions"] == ["accept"] and detail["can_record_callback"] is False
    assert (
        detail["response_due"] and detail["resolve_due"] and detail["due"] == detail["resolve_due"]
    )
    assert as_(people["second"]).get(url(order)).json()["actions"] == []
    assert as_(people["lead"]).get(url(orders["overdue"])).json()["sla"] == "overdue"


def test_the_queue_lists_my_own_orders(as_, people, orders):
    accepted = act(as_(people["first"]), orders["plain"], "accept")
    assert accepted.status_code == 200, accepted.content
    assert numbers(as_(people["first"]).get("/api/v1/work-orders/queue/")) == [
        orders["plain"].number
    ]
    agents = numbers(as_(people["agent"]).get("/api/v1/work-orders/queue/"))
    assert sorted(agents) == sorted(orders[n].number for n in ("upgraded", "overdue"))
    assert agents[0] == orders["overdue"].number  # soonest deadline first


def test_team_leads_get_the_overview(as_, people, orders):
    response = as_(people["lead"]).get("/api/v1/work-orders/overview/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["open"], body["overdue"], body["upgraded_open"]) == (3, 1, 1)
    assert [row["city"] for row in body["by_city"]] == ["NJ"]
    assert as_(people["first"]).get("/api/v1/work-orders/overview/").status_code == 403


# --- the lifecycle ---------------------------------------------------------------------------


def test_a_work_order_runs_escalate_reply_callback_and_a_dissatisfied_callback_reopens_it(
    as_, people, orders
):
    order = orders["plain"]
    first, second, agent = (as_(people[k]) for k in ("first", "second", "agent"))
    assert act(first, order, "accept", version=0).json()["state"] == "in_progress"
    escalated = act(first, order, "escalate", note="需二线测速排查", department="NET").json()
    assert escalated["state"] == "escalated" and escalated["department"] == "NET"
    assert escalated["first_responsible"] == "NET" and escalated["assignee"] is None
    replied = act(second, order, "reply", note="已更换分光器端口", version=escalated["version"])
    assert replied.status_code == 200 and replied.json()["reply"] == "已更换分光器端口"
    awaiting = act(agent, order, "start_callback").json()
    assert awaiting["state"] == "awaiting_callback" and awaiting["can_record_callback"]
    response = agent.post(
        url(order, "callback"),
        {
            "outcome": "dissatisfied",
            "note": "客户表示仍然很慢",
            "remediation_owner": "w-lead",
            "version": awaiting["version"],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    reopened = response.json()
    assert reopened["state"] == "reopened" and reopened["remediation"]
    assert reopened["remediation_owner"] == "w-lead"
    assert reopened["callback_outcome"] == "dissatisfied"
    assert [e["action"] for e in reopened["events"]] == [
        "open",
        "accept",
        "escalate",
        "reply",
        "start_callback",
        "reopen",
    ]


def test_a_satisfied_callback_closes_the_order(as_, people, orders):
    order = orders["plain"]
    act(as_(people["first"]), order, "accept")
    act(as_(people["first"]), order, "reply", note="已远程重启光猫")
    act(as_(people["agent"]), order, "start_callback")
    response = as_(people["agent"]).post(
        url(order, "callback"), {"outcome": "satisfied"}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "closed"


def test_remediation_needs_a_known_follow_up_owner(as_, people, orders):
    order = orders["plain"]
    act(as_(people["first"]), order, "accept")
    act(as_(people["first"]), order, "reply", note="已远程重启光猫")
    act(as_(people["agent"]), order, "start_callback")
    client = as_(people["agent"])
    missing = client.post(url(order, "callback"), {"outcome": "dissatisfied"}, format="json")
    assert missing.status_code == 400 and "non_field_errors" in missing.json()
    stranger = client.post(
        url(order, "callback"),
        {"outcome": "dissatisfied", "remediation_owner": "w-outsider"},  # a Suzhou user
        format="json",
    )
    assert stranger.status_code == 400 and "remediation_owner" in stranger.json()
    assert WorkOrder.objects.get(pk=order.pk).state == "awaiting_callback"


def test_a_stale_version_loses_with_409(as_, people, orders):
    order = orders["plain"]
    seen = as_(people["first"]).get(url(order)).json()["version"]
    assert act(as_(people["lead"]), order, "accept", version=seen).status_code == 200
    late = act(as_(people["first"]), order, "accept", version=seen)
    assert late.status_code == 409
    assert order.number in late.json()["detail"]
    stale_suspend = act(as_(people["first"]), order, "suspend", note="等客户", version=seen)
    assert stale_suspend.status_code == 409  # not a 400 about the state it has moved to
    assert WorkOrder.objects.get(pk=order.pk).events.filter(action="accept").count() == 1


def test_a_role_that_may_not_act_now_gets_403(as_, people, orders):
    response = act(as_(people["second"]), orders["plain"], "accept")
    assert response.status_code == 403 and response.json()["detail"]
    assert as_(people["netops"]).get(url(orders["plain"])).status_code == 403
    assert act(as_(people["outsider"]), orders["plain"], "accept").status_code == 404


def test_a_broken_rule_is_a_400(as_, people, orders):
    order = orders["plain"]
    first = as_(people["first"])
    act(first, order, "accept")
    no_reason = act(first, order, "escalate", department="NET")
    assert no_reason.status_code == 400 and "non_field_errors" in no_reason.json()
    front_line = act(first, order, "escalate", note="转营业厅", department="HALL")
    assert front_line.status_code == 400
    assert act(first, order, "teleport").status_code == 400
    assert act(first, order, "close").status_code == 400  # closing follows a callback
    assert act(first, order, "accept").status_code == 400  # not from in_progress


# --- attachments, breach reasons, batch causes ---------------------------------------------


def test_it_takes_an_attachment_and_lists_it_on_the_order(as_, people, orders):
    order = orders["plain"]
    upload = SimpleUploadedFile("测速截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    response = as_(people["first"]).post(
        url(order, "attachments"), {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/png"
    detail = as_(people["first"]).get(url(order)).json()
    assert [a["original_name"] for a in detail["attachments"]] == ["测速截图.png"]
    assert detail["events"][-1]["action"] == "attach"


def test_only_roles_that_attach_files_may_upload(as_, people, orders):
    quality = UserFactory(username="w-quality", roles=["quality_manager"], city_codes=["NJ"])
    upload = SimpleUploadedFile("note.txt", "客户来电记录".encode())
    response = as_(quality).post(
        url(orders["plain"], "attachments"), {"file": upload}, format="multipart"
    )
    assert response.status_code == 403
    outsider = as_(people["outsider"]).post(
        url(orders["plain"], "attachments"), {"file": upload}, format="multipart"
    )
    assert outsider.status_code == 404


def test_it_refuses_an_attachment_of_a_bad_type(as_, people, orders):
    client = as_(people["first"])
    for name, content in (("tool.exe", b"MZ\x90\x00"), ("photo.png", b"MZ\x90\x00 not png")):
        upload = SimpleUploadedFile(name, content)
        response = client.post(
            url(orders["plain"], "attachments"), {"file": upload}, format="multipart"
        )
        assert response.status_code == 400 and "file" in response.json(), name
    missing = client.post(url(orders["plain"], "attachments"), {}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()
    assert not orders["plain"].attachments.exists()


def test_it_records_why_an_order_missed_its_deadline(as_, people, orders):
    client = as_(people["lead"])
    on_time = client.post(url(orders["plain"], "breach-reason"), {"reason": "x"}, format="json")
    assert on_time.status_code == 400
    response = client.post(
        url(orders["overdue"], "breach-reason"), {"reason": "等待上门维修"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["breach_reason"] == "等待上门维修"
    blank = client.post(url(orders["overdue"], "breach-reason"), {"reason": ""}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()


def test_causes_are_created_and_linked_to_orders(as_, people, orders):
    client = as_(people["lead"])
    created = client.post(
        "/api/v1/complaint-causes/",
        {
            "kind": "network_fault",
            "title": "玄武区光缆中断",
            "city": "NJ",
            "started_at": "2026-11-20T08:00:00+08:00",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    cause = created.json()
    assert cause["created_by"] == "w-lead" and cause["city"] == "NJ"
    listed = client.get("/api/v1/complaint-causes/?ongoing=true").json()["results"]
    assert [row["id"] for row in listed] == [cause["id"]]
    linked = client.post(url(orders["plain"], "cause"), {"cause": cause["id"]}, format="json")
    assert linked.status_code == 200 and linked.json()["cause"] == cause["id"]
    assert linked.json()["events"][-1]["action"] == "link_cause"
    unlinked = client.post(url(orders["plain"], "cause"), {"cause": None}, format="json")
    assert unlinked.json()["cause"] is None
    assert (
        as_(people["first"])
        .post(url(orders["plain"], "cause"), {"cause": cause["id"]}, format="json")
        .status_code
        == 403
    )


def test_causes_need_a_title_and_a_city_of_ones_own(as_, people):
    client = as_(people["lead"])
    body = {"kind": "billing_run", "title": "", "city": "SZ", "started_at": "1800-01-01T00:00"}
    response = client.post("/api/v1/complaint-causes/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "city", "started_at"}
    assert not ComplaintCause.objects.exists()
    refused = as_(people["first"]).post("/api/v1/complaint-causes/", body, format="json")
    assert refused.status_code == 403


def test_it_lists_the_category_tree_flat(as_, people):
    client = as_(people["first"])
    rows = client.get("/api/v1/complaint-categories/?parent=NQ.BB").json()["results"]
    assert [row["code"] for row in rows][:2] == ["NQ.BB.01", "NQ.BB.02"]
    assert rows[0]["level"] == 3 and rows[0]["path"].startswith("网络质量")
    (second,) = client.get("/api/v1/complaint-categories/?level=2&parent=NQ&department=GOV").json()[
        "results"
    ]
    assert (second["code"], second["need_area"], second["department"]) == (
        "NQ.DL",
        "network_quality",
        "GOV",
    )


# --- the schema, with a real work order ------------------------------------------------------

NUMBERED = sorted(
    (path, method.upper())
    for path, item in openapi()["paths"].items()
    for method in item
    if "{number}" in path and method in {"get", "post"}
)


@pytest.mark.parametrize(("path", "method"), NUMBERED, ids=[f"{m} {p}" for p, m in NUMBERED])
def test_the_work_order_endpoints_conform_to_the_schema_on_a_real_order(
    wsgi_app,  # noqa: F811
    admin,
    nj,
    path,
    method,
):
    order = record(admin, customer=nj.customer)
    schema = schemathesis.openapi.from_dict(openapi())
    schema.app = wsgi_app
    operation = schema[path][method]
    headers = {"Authorization": f"Token {token_key(admin)}"}

    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(path_parameters={"number": order.number}))
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


# --- assigning and internal notes ------------------------------------------------------------


def test_a_first_line_member_takes_an_order_and_a_lead_gives_it_to_a_named_colleague(
    as_, people, orders
):
    order = orders["plain"]
    first, lead = people["first"], people["lead"]
    seen = as_(first).get(url(order)).json()["version"]
    took = as_(first).post(
        url(order, "assign"), {"assignee": first.username, "version": seen}, format="json"
    )
    assert took.status_code == 200, took.content
    assert WorkOrder.objects.get(pk=order.pk).assignee == first
    colleague = UserFactory(username="w-first2", roles=["first_line"], city_codes=["NJ"])
    given = as_(lead).post(url(order, "assign"), {"assignee": colleague.username}, format="json")
    assert given.status_code == 200, given.content
    assert WorkOrder.objects.get(pk=order.pk).assignee == colleague
    stale = as_(first).post(
        url(order, "assign"), {"assignee": first.username, "version": seen}, format="json"
    )
    assert stale.status_code == 409


def test_an_order_is_not_assigned_to_someone_who_may_not_hold_it(as_, people, orders):
    order = orders["plain"]
    holder = order.assignee_id
    to_outsider = as_(people["lead"]).post(
        url(order, "assign"), {"assignee": people["outsider"].username}, format="json"
    )
    assert to_outsider.status_code == 400
    assert "w-outsider" in str(to_outsider.json())
    unknown = as_(people["lead"]).post(url(order, "assign"), {"assignee": "nobody"}, format="json")
    assert unknown.status_code == 400 and "assignee" in unknown.json()
    assert (
        as_(people["outsider"])
        .post(url(order, "assign"), {"assignee": people["outsider"].username}, format="json")
        .status_code
        == 404
    )
    assert WorkOrder.objects.get(pk=order.pk).assignee_id == holder


def test_an_internal_note_lands_on_the_timeline_and_never_in_the_reply(as_, people, orders):
    order = orders["plain"]
    noted = as_(people["first"]).post(
        url(order, "notes"), {"text": "内部：已联系装维"}, format="json"
    )
    assert noted.status_code == 201, noted.content
    body = noted.json()
    assert "内部：已联系装维" not in (body.get("reply") or "")
    assert any(event.get("note") == "内部：已联系装维" for event in body["events"])
    assert (
        as_(people["first"]).post(url(order, "notes"), {"text": ""}, format="json").status_code
        == 400
    )
    assert (
        as_(people["outsider"]).post(url(order, "notes"), {"text": "x"}, format="json").status_code
        == 404
    )


def test_the_api_lists_paused_orders_and_filters_by_person_and_closing_day(as_, people, orders):
    lead = people["lead"]
    paused = numbers(as_(lead).get("/api/v1/work-orders/?sla=paused"))
    assert paused == []
    mine = numbers(as_(people["agent"]).get("/api/v1/work-orders/?recorded_by=me&record_type="))
    assert len(mine) == 4
    today = timezone.localdate().isoformat()
    WorkOrder.objects.filter(pk=orders["service"].pk).update(closed_at=timezone.now())
    closed = numbers(
        as_(lead).get(f"/api/v1/work-orders/?record_type=&closed_from={today}&closed_to={today}")
    )
    assert closed == [orders["service"].number]
