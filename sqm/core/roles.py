"""Roles (岗位) as groups with permissions, kept in step after every migrate."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

VIEW_CUSTOMERS = ["customers.view_customer", "customers.view_account"]
VIEW_TOPOLOGY = [
    "network.view_olt",
    "network.view_board",
    "network.view_ponport",
    "network.view_onu",
]
# Fault events, their alarms and SMS: everyone who sees the network sees what is broken.
VIEW_FAULTS = [
    "network.view_faultevent",
    "network.view_alarm",
    "network.view_faulttype",
    "notify.view_outboundmessage",
]
# The NOC: ingest alarms, read what was received, set a fault's estimated recovery, resend
# failed fault SMS and cancel an event's scheduled ones (the SMS view).
MANAGE_FAULTS = [
    "network.add_alarmevent",
    "network.view_alarmevent",
    "network.change_faultevent",
    "notify.change_outboundmessage",
]
EDIT_TOPOLOGY = [
    f"network.{verb}_{model}"
    for verb in ("add", "change", "delete")
    for model in ("olt", "board", "ponport", "onu")
]
VIEW_COMPLAINT_DATA = [
    "complaints.view_category",
    "complaints.view_department",
    "complaints.view_workorder",
    "complaints.view_complaintcause",
    "complaints.view_workorderattachment",
    # The problem library (sqm.knowledge): everyone who handles complaints reads it.
    "knowledge.view_problem",
    "knowledge.view_article",
]
# Second line, team leads and quality managers group work orders into problems and write
# knowledge articles; team leads and quality managers review and publish them.
WORK_PROBLEMS = [
    "knowledge.add_problem",
    "knowledge.change_problem",
    "knowledge.add_article",
    "knowledge.change_article",
]
PUBLISH_ARTICLES = ["knowledge.publish_article"]
FRONT_LINE_WORK = [
    # Finding the caller by mobile or ID number (counted, audited: customers.lookups).
    "customers.lookup_by_number",
    "complaints.add_workorder",
    "complaints.handle_front_line",
    "complaints.add_workorderattachment",
]
# Satisfaction surveys: upload, configure models, run and export analyses.
ANALYSE_SURVEYS = [
    "surveys.view_questionnaire",
    "surveys.add_response",
    "surveys.view_structuralmodel",
    "surveys.add_structuralmodel",
    "surveys.change_structuralmodel",
    "surveys.add_analysisrun",
    "surveys.view_analysisrun",
]
MANAGE_CAUSES = ["complaints.add_complaintcause", "complaints.change_complaintcause"]
# The service-quality indicators (sqm.quality): see them; the quality managers also import
# the facts, compute, set targets and write and publish the monthly report.
VIEW_QUALITY = ["quality.view_indicator", "quality.view_kpirun", "quality.view_monthlyreport"]
QUALITY_WORK = [
    *VIEW_QUALITY,
    "quality.import_facts",
    "quality.compute_kpi",
    "quality.add_indicatortarget",
    "quality.change_indicatortarget",
    "quality.publish_report",
]
EDIT_CUSTOMERS = [
    f"customers.{verb}_{model}"
    for verb in ("add", "change", "delete")
    for model in ("customer", "account")
]


@dataclass(frozen=True)
class Role:
    code: str
    label: object
    permissions: tuple[str, ...]
    staff: bool = False
    superuser: bool = False


ROLES: tuple[Role, ...] = (
    Role(
        "hotline_agent",
        _("hotline agent"),
        (
            *VIEW_CUSTOMERS,
            *VIEW_TOPOLOGY,
            *VIEW_FAULTS,
            *VIEW_COMPLAINT_DATA,
            *FRONT_LINE_WORK,
            "complaints.do_callback",
            "customers.reveal_customer",
        ),
    ),
    Role(
        "first_line",
        _("first-line support"),
        (*VIEW_CUSTOMERS, *VIEW_TOPOLOGY, *VIEW_FAULTS, *VIEW_COMPLAINT_DATA, *FRONT_LINE_WORK),
    ),
    Role(
        "second_line",
        _("second-line support"),
        (
            *VIEW_CUSTOMERS,
            *VIEW_TOPOLOGY,
            *VIEW_FAULTS,
            *VIEW_COMPLAINT_DATA,
            *MANAGE_CAUSES,
            *WORK_PROBLEMS,
            "complaints.handle_back_office",
            "complaints.add_workorderattachment",
            "customers.reveal_customer",
        ),
    ),
    Role(
        "team_lead",
        _("team lead"),
        (
            *VIEW_CUSTOMERS,
            *VIEW_TOPOLOGY,
            *VIEW_FAULTS,
            *VIEW_COMPLAINT_DATA,
            *FRONT_LINE_WORK,
            *MANAGE_CAUSES,
            *WORK_PROBLEMS,
            *PUBLISH_ARTICLES,
            "complaints.handle_back_office",
            "complaints.do_callback",
            "complaints.oversee_workorders",
            "customers.reveal_customer",
            *VIEW_QUALITY,
        ),
    ),
    Role(
        "quality_manager",
        _("quality manager"),
        (
            *VIEW_CUSTOMERS,
            *VIEW_TOPOLOGY,
            *VIEW_FAULTS,
            *EDIT_CUSTOMERS,
            *VIEW_COMPLAINT_DATA,
            *MANAGE_CAUSES,
            *WORK_PROBLEMS,
            *PUBLISH_ARTICLES,
            "complaints.do_callback",
            "complaints.oversee_workorders",
            "complaints.import_history",
            "network.view_alarmevent",
            "customers.export_pii",
            "core.add_importjob",
            "core.view_importjob",
            *ANALYSE_SURVEYS,
            *QUALITY_WORK,
        ),
    ),
    Role(
        "network_ops",
        _("network operations"),
        (
            "customers.view_account",
            *VIEW_TOPOLOGY,
            *VIEW_FAULTS,
            *EDIT_TOPOLOGY,
            *MANAGE_FAULTS,
            "core.add_importjob",
            "core.view_importjob",
            *VIEW_QUALITY,
            "quality.import_facts",
        ),
    ),
    Role(
        "auditor",
        _("auditor"),
        (
            "core.view_auditentry",
            "core.view_changelogentry",
            "core.view_alert",
            "core.change_alert",
        ),
    ),
    Role("administrator", _("administrator"), (), staff=True, superuser=True),
)
ROLE_BY_CODE = {role.code: role for role in ROLES}


def group_name(role: Role) -> str:
    """Groups are named by code so renaming a label never orphans a group."""
    return role.code


def sync_roles(**kwargs) -> None:
    """Create the role groups and set their permissions exactly (post_migrate)."""
    from django.contrib.auth.models import Group, Permission

    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=group_name(role))
        wanted = []
        for dotted in role.permissions:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                wanted.append(perm)
        if role.superuser:
            wanted = list(Permission.objects.all())
        group.permissions.set(wanted)


def roles_of(user) -> list[Role]:
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in ROLES if group_name(role) in names]
