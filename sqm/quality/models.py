"""The quality domain: operational facts from the other systems, the indicator registry with
its targets, KPI runs with their values, and the numbered monthly report.

Facts are not change-logged row by row (an import is one audited action, as survey responses
are); they carry the customer's city, copied at import, so scoping needs no join.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.models import ChangeLoggedModel
from sqm.core.querysets import RestrictedManager
from sqm.quality.choices import (
    Area,
    Better,
    Breakdown,
    CircuitProduct,
    Engine,
    IndicatorProduct,
    Phase,
    ReportState,
    RunStatus,
    SpeedLevel,
    Status,
    Unit,
)


class Fact(models.Model):
    """Common columns of an imported fact: scoping by city, when it was imported."""

    city = models.ForeignKey(
        "core.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city")
    )
    imported = models.DateTimeField(_("imported"), auto_now=True)

    objects = RestrictedManager()
    city_path = "city"

    class Meta:
        abstract = True


class Visit(Fact):
    """An order that may bring a technician to the customer (repairs and activations)."""

    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="+", verbose_name=_("account")
    )
    district = models.CharField(_("district"), max_length=32, blank=True)
    appointment_from = models.DateTimeField(_("appointment from"), null=True, blank=True)
    appointment_to = models.DateTimeField(_("appointment to"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    visit_rating = models.PositiveSmallIntegerField(_("on-site rating"), null=True, blank=True)

    class Meta:
        abstract = True


class Repair(Visit):
    """A fault report (报障) handled by maintenance, from report to restoration."""

    repair_id = models.CharField(_("repair ID"), max_length=40, unique=True)
    reported_at = models.DateTimeField(_("reported at"))
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    area = models.CharField(_("area"), max_length=8, choices=Area.choices)
    cause = models.CharField(pgettext_lazy("fault", "cause"), max_length=64, blank=True)
    network_fault = models.BooleanField(_("attributable to our network"), default=False)

    class Meta:
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["reported_at"], name="repair_reported"),
            models.Index(fields=["restored_at"], name="repair_restored"),
            # With the other two, a month's window (reported, restored or visited in it) is
            # read by index ranges rather than a scan of every repair (facts._repairs).
            models.Index(fields=["arrived_at"], name="repair_arrived"),
            models.Index(fields=["account", "reported_at"], name="repair_account"),
        ]
        verbose_name = _("repair")
        verbose_name_plural = _("repairs")
        permissions = [("import_facts", _("Import operational facts for the indicators"))]

    def __str__(self) -> str:
        return self.repair_id


class Activation(Visit):
    """A service activation order (业务开通) from the provisioning system."""

    order_id = models.CharField(_("order ID"), max_length=40, unique=True)
    ordered_at = models.DateTimeField(_("ordered at"))
    committed_at = models.DateTimeField(_("promised completion"))
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        ordering = ["-ordered_at"]
        indexes = [
            models.Index(fields=["ordered_at"], name="activation_ordered"),
            models.Index(fields=["activated_at"], name="activation_done"),
            models.Index(fields=["arrived_at"], name="activation_arrived"),
        ]
        verbose_name = _("activation")
        verbose_name_plural = _("activations")

    def __str__(self) -> str:
        return self.order_id


class Transfer(Fact):
    """A hotline transfer to a specialist seat (专席转接)."""

    transfer_id = models.CharField(_("transfer ID"), max_length=40, unique=True)
    requested_at = models.DateTimeField(_("requested at"))
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    skill = models.CharField(_("skill"), max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["requested_at"], name="transfer_requested")]
        verbose_name = _("specialist transfer")
        verbose_name_plural = _("specialist transfers")

    def __str__(self) -> str:
        return self.transfer_id


class SpeedTest(Fact):
    """A speed measurement at a user's line, a city node or the provincial exit."""

    test_id = models.CharField(_("test ID"), max_length=40, unique=True)
    measured_at = models.DateTimeField(_("measured at"))
    level = models.CharField(_("level"), max_length=8, choices=SpeedLevel.choices)
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("account"),
    )
    down_mbps = models.FloatField(_("download (Mbit/s)"))
    up_mbps = models.FloatField(_("upload (Mbit/s)"))
    subscribed_mbps = models.FloatField(_("subscribed (Mbit/s)"), null=True, blank=True)

    class Meta:
        ordering = ["-measured_at"]
        indexes = [models.Index(fields=["measured_at"], name="speedtest_measured")]
        verbose_name = _("speed test")
        verbose_name_plural = _("speed tests")

    def __str__(self) -> str:
        return self.test_id


class OperationsMonth(Fact):
    """A month's business figures of one product in one city, from billing and resources."""

    month = models.DateField(_("month"))  # the first day of the month
    product = models.CharField(_("product"), max_length=20)
    revenue_yuan = models.DecimalField(_("revenue (yuan)"), max_digits=16, decimal_places=2)
    billed_accounts = models.PositiveIntegerField(_("billed accounts"))
    ports_built = models.PositiveIntegerField(_("ports built"))
    ports_in_use = models.PositiveIntegerField(_("ports in use"))

    class Meta:
        ordering = ["-month", "city", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "city", "product"], name="operations_month_city_product"
            )
        ]
        verbose_name = _("monthly operations figures")
        verbose_name_plural = _("monthly operations figures")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.product}"


class Circuit(Fact):
    """A dedicated line (专线) with its contract's availability and repair time."""

    circuit_id = models.CharField(_("circuit ID"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    product = models.CharField(_("product"), max_length=20, choices=CircuitProduct.choices)
    contract_availability = models.DecimalField(
        _("contracted availability (%)"), max_digits=7, decimal_places=4
    )
    contract_repair_hours = models.FloatField(_("contracted repair time (hours)"))
    opened_at = models.DateTimeField(_("opened at"))

    class Meta:
        ordering = ["circuit_id"]
        verbose_name = _("dedicated circuit")
        verbose_name_plural = _("dedicated circuits")

    def __str__(self) -> str:
        return self.circuit_id


class CircuitOutage(Fact):
    """An interruption of a dedicated line."""

    outage_id = models.CharField(_("outage ID"), max_length=40, unique=True)
    circuit = models.ForeignKey(
        Circuit, on_delete=models.CASCADE, related_name="outages", verbose_name=_("circuit")
    )
    started_at = models.DateTimeField(_("started at"))
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    cause = models.CharField(pgettext_lazy("fault", "cause"), max_length=64, blank=True)
    network_fault = models.BooleanField(_("attributable to our network"), default=False)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["started_at"], name="circuitoutage_started")]
        verbose_name = _("circuit outage")
        verbose_name_plural = _("circuit outages")

    def __str__(self) -> str:
        return self.outage_id


# --- the indicator registry ---------------------------------------------------------------


class Indicator(models.Model):
    """One indicator of the registry. The rows are kept equal to the shipped definitions
    (sqm/quality/data/indicators.yaml, `registry.sync`): what an indicator means is fixed
    because reports and scripts depend on it; only its targets are edited here."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=100)
    product = models.CharField(_("product"), max_length=12, choices=IndicatorProduct.choices)
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices)
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices)
    better = models.CharField(_("better direction"), max_length=8, choices=Better.choices)
    definition_zh = models.TextField(_("definition (Chinese)"))
    definition_en = models.TextField(_("definition (English)"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    breakdowns = models.JSONField(_("breakdowns"), default=list)
    # The shipped defaults, used where no target of the year (and city) was set.
    default_target = models.FloatField(_("default target"), null=True, blank=True)
    default_warning = models.FloatField(_("default warning threshold"), null=True, blank=True)
    headline = models.BooleanField(_("headline indicator"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        permissions = [("compute_kpi", _("Compute the indicators"))]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("quality:indicator", args=[self.code])

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def definition(self) -> str:
        from django.utils.translation import get_language

        zh = (get_language() or "").startswith("zh")
        return self.definition_zh if zh else self.definition_en

    def allows(self, breakdown: str) -> bool:
        return breakdown == Breakdown.PROVINCE or breakdown in self.breakdowns


class IndicatorTarget(ChangeLoggedModel):
    """The target and warning threshold of an indicator for a year, for the whole province
    (no city) or one city; set by quality managers, change-logged."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    city = models.ForeignKey(
        "core.City",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("city"),
        help_text=_("Empty: the whole province, and every city without its own target."),
    )
    target = models.FloatField(_("target"))
    warning = models.FloatField(_("warning threshold"), null=True, blank=True)

    city_path = "city"

    class Meta:
        ordering = ["indicator", "-year", "city"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "city"], name="indicator_target_year_city"
            ),
            models.UniqueConstraint(
                fields=["indicator", "year"],
                condition=models.Q(city__isnull=True),
                name="indicator_target_year_province",
            ),
        ]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.year}"


# --- runs and values ----------------------------------------------------------------------


class KpiRun(models.Model):
    """One computation of indicators for a month. Runs are never changed once done: a
    recomputation is a new run, and the report shows how it differs from the one it froze."""

    month = models.DateField(_("month"))
    engine = models.CharField(_("engine"), max_length=8, choices=Engine.choices)
    breakdowns = models.JSONField(_("breakdowns"), default=list)
    indicators = models.JSONField(_("indicators"), default=list)  # empty: all
    status = models.CharField(
        _("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.FloatField(_("progress"), default=0.0)
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["month", "status"], name="kpirun_month")]
        verbose_name = _("KPI run")
        verbose_name_plural = _("KPI runs")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("quality:run", args=[self.pk])


class KpiValue(models.Model):
    """One indicator's value for one breakdown value (a city, a district …) in a run."""

    run = models.ForeignKey(KpiRun, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    breakdown = models.CharField(_("breakdown"), max_length=10, choices=Breakdown.choices)
    key = models.CharField(_("breakdown value"), max_length=64, blank=True)
    # The city the value belongs to, for scoping (empty for the province and for breakdowns
    # that cut across cities).
    city = models.ForeignKey(
        "core.City", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    value = models.FloatField(_("value"), null=True)
    numerator = models.FloatField(_("numerator"), null=True)
    denominator = models.FloatField(_("denominator"), null=True)
    target = models.FloatField(_("target"), null=True)
    warning = models.FloatField(_("warning threshold"), null=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, blank=True)

    city_path = "city"

    class Meta:
        ordering = ["run", "indicator", "breakdown", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "indicator", "breakdown", "key"], name="kpivalue_unique"
            )
        ]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.key or '—'}"


# --- the monthly report -------------------------------------------------------------------


class MonthlyReport(ChangeLoggedModel):
    """The numbered monthly service-quality report (服务质量报告 第N期). Publishing freezes
    its figures (`frozen`) and text; a later run of the month is shown as a difference."""

    number = models.PositiveIntegerField(_("issue number"), unique=True)
    month = models.DateField(_("month"), unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ReportState.choices, default=ReportState.DRAFT
    )
    run = models.ForeignKey(
        KpiRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("summary"), blank=True)
    analysis = models.TextField(_("analysis of the short boards"), blank=True)
    measures = models.TextField(_("improvement measures"), blank=True)
    frozen = models.JSONField(_("published figures"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The frozen figures (~100 KB) stay on the row; the change log records the publication.
    changelog_exclude = ("frozen",)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("monthly quality report")
        verbose_name_plural = _("monthly quality reports")
        permissions = [("publish_report", _("Write and publish the monthly quality report"))]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} No. {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("quality:report", args=[self.month.strftime("%Y-%m")])
