"""The demo province and demo users that `sqm demo` sets up once and reuses after."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext

from sqm.core.models import City, User
from sqm.core.roles import ROLES, group_name

# One demo user per role: (user name, role code, city codes or None for all cities).
DEMO_USERS: list[tuple[str, str, list[str] | None]] = [
    ("agent", "hotline_agent", ["NJ"]),
    ("firstline", "first_line", ["NJ"]),
    ("secondline", "second_line", ["NJ", "SZ"]),
    ("lead", "team_lead", ["NJ"]),
    ("quality", "quality_manager", None),
    ("noc", "network_ops", None),
    ("auditor", "auditor", None),
    ("admin", "administrator", None),
]


# Months of complaint history in the demo, ending today.
DEMO_MONTHS = 6
# Open work orders put in each demo user's queue: up to QUEUE_SIZE from the history, topped
# up to QUEUE_MIN with customers calling again today.
QUEUE_SIZE = 5
QUEUE_MIN = 3
REFERENCE_MARKER = ".imported"
ALARMS_MARKER = ".alarms-ingested"
# Days of the generated alarm stream taken into the live fault path, ending today.
DEMO_ALARM_DAYS = 7
HISTORY_MARKER = ".history-imported"
SURVEY_MARKER = ".survey-imported"
# Satisfaction survey of the demo: quarterly waves ending this quarter, respondents per wave.
DEMO_SURVEY_WAVES = 2
DEMO_SURVEY_RESPONDENTS = 1500


def demo_dir() -> Path:
    return Path(settings.SQM_HOME) / "demo"


def province_loaded() -> bool:
    out = demo_dir()
    return (out / REFERENCE_MARKER).exists() and (out / HISTORY_MARKER).exists()


def _loaded_as(marker: Path, customers: int, seed: int) -> tuple[int, int]:
    """The size and seed a demo province was loaded with ("customers=N seed=S")."""
    found = dict(
        part.split("=", 1) for part in marker.read_text(encoding="utf-8").split() if "=" in part
    )
    return int(found.get("customers", customers)), int(found.get("seed", seed))


def load_province(
    customers: int, seed: int, say: Callable[[str], None], months: int = DEMO_MONTHS
) -> None:
    """Generate the province files and import them (topology, customers, accounts, then
    MONTHS of complaint history ending today).

    A demo loaded before complaint history existed keeps its province: the same customers
    and accounts are generated again (same size and seed) and only the history is imported.
    """
    import sqm.complaints.importers  # noqa: F401 - registers the importers
    import sqm.customers.importers  # noqa: F401
    import sqm.network.importers  # noqa: F401
    from sqm.core.generator import FILES, generate_province
    from sqm.core.importing import run_import

    out = demo_dir()
    out.mkdir(parents=True, exist_ok=True)
    reference = out / REFERENCE_MARKER
    if reference.exists():
        customers, seed = _loaded_as(reference, customers, seed)
    today = timezone.localdate()
    say(
        gettext(
            "generating a demo province of %(n)s customers (seed %(seed)s) with %(months)s "
            "months of complaints in %(out)s"
        )
        % {"n": f"{customers:,}", "seed": seed, "months": months, "out": out}
    )
    generate_province(
        out, customers=customers, seed=seed, months=months, progress=True, as_of=today
    )
    kinds = ["topology", "customers", "accounts"] if not reference.exists() else []
    if months:
        kinds.append("complaints")
    for kind in kinds:
        say(gettext("importing %(kind)s") % {"kind": kind})
        # The first load of a fresh instance: one audited import, no per-row change log.
        result = run_import(kind, out / FILES[kind], log_changes=False)
        if not result.ok:
            raise RuntimeError("\n".join(result.error_lines()[:20]))
        if kind == "accounts":
            reference.write_text(f"customers={customers} seed={seed}\n", encoding="utf-8")
    if months:
        train_category_classifier(say)
    (out / HISTORY_MARKER).write_text(f"months={months} as_of={today}\n", encoding="utf-8")


def ingest_recent_alarms(say: Callable[[str], None], days: int = DEMO_ALARM_DAYS) -> None:
    """Take the last DAYS of the generated alarm stream through live ingestion, so the NOC
    pages and the agents' pre-processing show faults (those still open at midnight are
    active). Once per demo directory."""
    from sqm.core.generator import FILES
    from sqm.network.alarms import read_alarm_lines
    from sqm.network.ingest import ingest

    out = demo_dir()
    path = out / FILES["alarms"]
    if (out / ALARMS_MARKER).exists() or not path.exists():
        return
    with path.open("rb") as handle:
        alarms, _errors = read_alarm_lines(handle)  # the generator writes no bad lines
    since = timezone.now() - timedelta(days=days)
    raised = {a.alarm_id for a in alarms if a.event == "raise" and a.occurred_at >= since}
    recent = sorted(
        (a for a in alarms if a.alarm_id in raised), key=lambda a: (a.occurred_at, a.line)
    )
    say(gettext("ingesting %(n)s alarm events of the last %(days)s days") % {
        "n": f"{len(recent):,}", "days": days})  # fmt: skip
    for start in range(0, len(recent), 2000):
        ingest(recent[start : start + 2000])
    (out / ALARMS_MARKER).write_text(f"days={days} events={len(recent)}\n", encoding="utf-8")


def load_survey(say: Callable[[str], None]) -> None:
    """Generate and import the demo's satisfaction survey (two waves) and analyse it once, so
    the survey pages show results. Once per demo directory."""
    from sqm.core.generator.surveys import write_surveys
    from sqm.surveys.choices import RunStatus
    from sqm.surveys.csi import Options
    from sqm.surveys.models import AnalysisRun
    from sqm.surveys.services import do_run_analysis, import_survey

    out = demo_dir()
    if (out / SURVEY_MARKER).exists():
        return
    out.mkdir(parents=True, exist_ok=True)
    say(gettext("generating and analysing a satisfaction survey"))
    for pending in write_surveys(
        out, DEMO_SURVEY_WAVES, DEMO_SURVEY_RESPONDENTS, timezone.localdate()
    ):
        pending.commit()
    questionnaire, result = import_survey(out / "survey.csv", str(out / "questionnaire.yaml"))
    if not result.ok:
        raise RuntimeError("\n".join(result.error_lines()[:20]))
    run = AnalysisRun.objects.create(
        questionnaire=questionnaire,
        structural_model=questionnaire.structural_models.filter(is_default=True).first(),
        options={**Options(bootstrap=200).__dict__},
        status=RunStatus.QUEUED,
    )
    do_run_analysis(run.pk)
    (out / SURVEY_MARKER).write_text(f"respondents={result.rows}\n", encoding="utf-8")


def train_category_classifier(say: Callable[[str], None]) -> None:
    """Train the intake page's category suggestions on the imported history."""
    from sqm.complaints import textmining

    say(gettext("training the category suggestions on the complaint history"))
    try:
        report = textmining.train()
    except ValueError as exc:  # too little history (a tiny demo): suggestions stay off
        say(str(exc))
        return
    say(
        gettext("category suggestions: top-1 %(top1).0f%%, top-3 %(top3).0f%% on held-out orders")
        % {"top1": 100 * (report.top1 or 0), "top3": 100 * (report.top3 or 0)}
    )


def ensure_users() -> list[tuple[str, str, str]]:
    """Create missing demo users; returns (user name, role, password) for the new ones only."""
    created = []
    labels = {role.code: role for role in ROLES}
    for username, role_code, city_codes in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        role = labels[role_code]
        password = secrets.token_urlsafe(9)
        user = User.objects.create_user(
            username=username,
            password=password,
            all_cities=city_codes is None,
            is_staff=role.staff,
            is_superuser=role.superuser,
        )
        user.groups.add(Group.objects.get(name=group_name(role)))
        if city_codes:
            user.cities.set(City.objects.filter(code__in=city_codes))
        created.append((username, str(role.label), password))
    join_departments()
    fill_queues()
    return created


# Department membership of demo users: their queues include the unclaimed escalated orders.
DEMO_MEMBERS = {"secondline": ["NET-2L", "BILL-2L", "NET", "CS"]}


def join_departments() -> None:
    from sqm.complaints.models import Department

    for username, codes in DEMO_MEMBERS.items():
        user = User.objects.filter(username=username).first()
        if user is not None:
            user.departments.add(*Department.objects.filter(code__in=codes))


# Which open work orders suit whose queue: (user name, states, and the state a suspended
# order must have been suspended from: front line before escalation, back office after).
QUEUES = (
    ("secondline", ("escalated",), "escalated"),
    ("agent", ("replied", "awaiting_callback"), None),
    ("firstline", ("new", "in_progress", "reopened"), "in_progress"),
    ("lead", ("new", "in_progress", "reopened", "escalated"), None),
)


def fill_queues(size: int = QUEUE_SIZE, least: int = QUEUE_MIN) -> int:
    """Put open work orders of the history into the demo users' queues (once).

    Each queue user gets up to SIZE unassigned open orders of their cities in the states
    their role works on; remediation orders get the team lead as follow-up owner. Where the
    history has fewer than LEAST left, customers of the user's city call again today and
    their orders are recorded and moved on through the live lifecycle
    (`complaints.workorders`). Returns the number of orders assigned; 0 when the queues were
    filled before.
    """
    from sqm.complaints.models import WorkOrder

    users = {u.username: u for u in User.objects.filter(username__in=[q[0] for q in QUEUES])}
    if len(users) < len(QUEUES) or WorkOrder.objects.filter(assignee__in=users.values()).exists():
        return 0
    assigned = calls = 0
    for username, states, suspended_from in QUEUES:
        user = users[username]
        wanted = WorkOrder.objects.restrict(user).filter(
            assignee=None, record_type="complaint_work_order", state__in=states
        )
        if suspended_from:
            wanted = wanted | WorkOrder.objects.restrict(user).filter(
                assignee=None, state="suspended", state_before_suspension=suspended_from
            )
        picked = list(wanted.order_by("-created").values_list("pk", flat=True)[:size])
        while len(picked) < least:
            again = _call_again_today(user, users, calls)
            calls += 1
            if again is None:  # a province too small to have history to follow up
                break
            picked.append(again)
        assigned += WorkOrder.objects.filter(pk__in=picked).update(assignee=user)
    WorkOrder.objects.filter(state="reopened", remediation=True, remediation_owner=None).update(
        remediation_owner=users["lead"]
    )
    return assigned


def _call_again_today(user: User, users: dict[str, User], nth: int) -> int | None:
    """The customer of the NTH latest closed work order (in the demo agent's city) complains
    again today; the new work order is taken as far as USER's queue needs (returns its
    primary key)."""
    from sqm.complaints.models import Department, WorkOrder
    from sqm.complaints.workorders import do_transition, open_work_order

    front = users["agent"]
    earlier = (
        WorkOrder.objects.restrict(front)
        .filter(record_type="complaint_work_order", state="closed")
        .select_related("customer", "category", "account")
        .order_by("-created")[nth : nth + 1]
        .first()
    )
    if earlier is None:
        return None
    order = open_work_order(
        front,
        customer=earlier.customer,
        category=earlier.category,
        channel="hotline",
        description="客户再次来电，问题仍未解决：" + earlier.description,
        account=earlier.account,
    )
    if order.state != "new":  # recorded closed (not a work order in this version)
        return order.pk
    order = do_transition(front, order, "accept")
    if user.username == "secondline":
        second_line = Department.objects.filter(kind="second_line").order_by("code").first()
        order = do_transition(front, order, "escalate", "需二线核查处理", department=second_line)
    elif user.username == "agent":
        order = do_transition(front, order, "reply", "已核实处理，等待回访确认。")
        order = do_transition(front, order, "start_callback")
    return order.pk
