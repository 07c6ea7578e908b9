"""Choice sets of the quality domain (the Chinese names are in docs/glossary.md)."""

from django.db import models
from django.utils.translation import pgettext_lazy


class Area(models.TextChoices):
    URBAN = "urban", pgettext_lazy("repair area", "urban")
    RURAL = "rural", pgettext_lazy("repair area", "rural")


class SpeedLevel(models.TextChoices):
    USER = "user", pgettext_lazy("speed test level", "user end")
    CITY = "city", pgettext_lazy("speed test level", "city")
    EXIT = "exit", pgettext_lazy("speed test level", "provincial exit")


class CircuitProduct(models.TextChoices):
    DEDICATED_VOICE = "dedicated_voice", pgettext_lazy("product", "dedicated voice")
    DEDICATED_DATA = "dedicated_data", pgettext_lazy("product", "dedicated data")
    DEDICATED_INTERNET = "dedicated_internet", pgettext_lazy("product", "dedicated internet")


class IndicatorProduct(models.TextChoices):
    BROADBAND = "broadband", pgettext_lazy("indicator product", "broadband")
    DEDICATED = "dedicated", pgettext_lazy("indicator product", "dedicated line")
    ALL = "all", pgettext_lazy("indicator product", "all products")


class Phase(models.TextChoices):
    """When in the service an indicator looks (事前 / 事中 / 事后)."""

    BEFORE = "before", pgettext_lazy("service phase", "before service")
    DURING = "during", pgettext_lazy("service phase", "during service")
    AFTER = "after", pgettext_lazy("service phase", "after service")


class Better(models.TextChoices):
    HIGHER = "higher", pgettext_lazy("better direction", "higher is better")
    LOWER = "lower", pgettext_lazy("better direction", "lower is better")


class Unit(models.TextChoices):
    RATIO = "ratio", pgettext_lazy("indicator unit", "share")
    PER_10K = "per_10k", pgettext_lazy("indicator unit", "per 10,000 customers")
    PER_100 = "per_100", pgettext_lazy("indicator unit", "per 100 circuits")
    COUNT = "count", pgettext_lazy("indicator unit", "count")
    HOURS = "hours", pgettext_lazy("indicator unit", "hours")
    MINUTES = "minutes", pgettext_lazy("indicator unit", "minutes")
    SECONDS = "seconds", pgettext_lazy("indicator unit", "seconds")
    MBPS = "mbps", pgettext_lazy("indicator unit", "Mbit/s")
    YUAN = "yuan", pgettext_lazy("indicator unit", "yuan")
    SCORE = "score", pgettext_lazy("indicator unit", "score")


class Breakdown(models.TextChoices):
    PROVINCE = "province", pgettext_lazy("breakdown", "province")
    CITY = "city", pgettext_lazy("breakdown", "city")
    DISTRICT = "district", pgettext_lazy("breakdown", "district")
    PRODUCT = "product", pgettext_lazy("breakdown", "product")
    CHANNEL = "channel", pgettext_lazy("breakdown", "channel")
    CAUSE = "cause", pgettext_lazy("breakdown", "cause")


class Status(models.TextChoices):
    """How a value stands against its target and warning threshold."""

    MET = "met", pgettext_lazy("indicator status", "met")
    WARNING = "warning", pgettext_lazy("indicator status", "warning")
    MISSED = "missed", pgettext_lazy("indicator status", "missed")


class Engine(models.TextChoices):
    DUCKDB = "duckdb", pgettext_lazy("KPI engine", "DuckDB")
    SPARK = "spark", pgettext_lazy("KPI engine", "Spark")


class RunStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("KPI run status", "queued")
    RUNNING = "running", pgettext_lazy("KPI run status", "running")
    DONE = "done", pgettext_lazy("KPI run status", "done")
    FAILED = "failed", pgettext_lazy("KPI run status", "failed")


class ReportState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("report state", "draft")
    PUBLISHED = "published", pgettext_lazy("report state", "published")
