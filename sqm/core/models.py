"""Shared models: cities, users, change log, audit log, alerts, business calendar, imports."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.querysets import RestrictedManager


class City(models.Model):
    """A prefecture-level city (地市): the unit users are scoped to."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=32, unique=True)
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)

    class Meta:
        ordering = ["ordering", "code"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member; sees the data of their cities, or all cities when `all_cities`."""

    cities = models.ManyToManyField(
        City, blank=True, related_name="users", verbose_name=_("cities")
    )
    all_cities = models.BooleanField(
        _("all cities"), default=False, help_text=_("Provincial staff who see every city.")
    )

    def city_ids(self) -> frozenset[int]:
        """The ids of the user's cities, read once per user object (so once per request).

        Scoped queries name the ids literally rather than through a subquery: SQLite plans
        `city_id IN (1, 3)` with the city indexes, but cannot size `IN (SELECT …)`.
        """
        ids = self.__dict__.get("_sqm_city_ids")
        if ids is None:
            ids = self.__dict__["_sqm_city_ids"] = frozenset(
                self.cities.values_list("pk", flat=True)
            )
        return ids

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")


class ChangeLoggedModel(models.Model):
    """Base for domain objects: creation/update times, scoping, and a change log row per change.

    Subclasses set `city_path` (the lookup from the model to its City) for scoping.
    """

    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_updated = models.DateTimeField(_("last updated"), auto_now=True)

    objects = RestrictedManager()
    city_path: str | None = None

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Kept so the change log can say what a later save changed.
        instance._loaded_values = dict(zip(field_names, values, strict=False))
        return instance


class ChangeAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")


class ChangeLogEntry(models.Model):
    """Who changed which object when, with the object before and after (personal data masked)."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
        verbose_name=_("user"),
    )
    actor = models.CharField(_("actor"), max_length=150, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    # No index of its own: the (content_type, object_id) index below serves its look-ups,
    # and every index costs on million-row imports.
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.PROTECT,
        verbose_name=_("object type"),
        db_index=False,
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=8, choices=ChangeAction.choices)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class AuditAction(models.TextChoices):
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("logout")
    LOCKED_OUT = "locked_out", _("locked out")
    REVEAL = "reveal", _("personal data revealed")
    EXPORT = "export", _("export")
    EXPORT_PII = "export_pii", _("export with personal data")
    PERMISSION = "permission", _("permission change")
    REVEAL_ALERT = "reveal_alert", _("reveal threshold exceeded")
    KEY_ROTATION = "key_rotation", _("data key rotation")
    IMPORT = "import", _("import")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    LOOKUP = "lookup", _("look-up by number")
    LOOKUP_ALERT = "lookup_alert", _("look-up miss threshold exceeded")
    AUDIT_SEAL = "audit_seal", _("audit chain keyed")
    AUDIT_VERIFY = "audit_verify", _("audit chain checked")
    PUBLISH = "publish", _("publish")


class AuditEntry(models.Model):
    """Append-only, hash-chained security log; `sqm audit verify` proves it untouched."""

    time = models.DateTimeField(_("time"), db_index=True)
    # PROTECT: deleting a user would rewrite their entries (which the chain and, on
    # PostgreSQL, the trigger refuse); users who acted are deactivated instead.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    target = models.CharField(_("target"), max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The server's own id of the request (always); the client's X-Request-ID when it sent a
    # well-formed one (docs/security.md "Audit log").
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_request_id = models.CharField(_("client request id"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Id of the SQM_AUDIT_KEY key the entry was chained with (HMAC-SHA256); empty for the
    # entries written before the chain was keyed (plain SHA-256).
    key_id = models.CharField(_("audit key"), max_length=32, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["actor", "action", "time"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class AuditHead(models.Model):
    """One row: the last entry's hash. Updating it first serialises writers on every database."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} entries, head {self.last_hash[:12]}"


class AlertKind(models.TextChoices):
    REVEAL_RATE = "reveal_rate", _("many personal-data reveals")
    AUDIT_CHAIN = "audit_chain", _("audit log tampered with")
    LOOKUP_MISSES = "lookup_misses", _("many look-ups that found nobody")


class Alert(models.Model):
    """Something auditors must look at."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user concerned"),
    )
    message = models.TextField(_("message"))
    # What the alert counts (reveals, misses…) as of its last update: it grows with the count.
    count = models.PositiveIntegerField(_("count"), default=0)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-time"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return self.message


class CalendarDay(models.Model):
    """An admin-set day: a holiday on a weekday, or an adjusted working day (调休) at a weekend.

    Days without a row follow the built-in Chinese calendar (or Monday–Friday beyond it).
    """

    date = models.DateField(_("date"), unique=True)
    is_working = models.BooleanField(_("working day"))
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=64, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class WorkingPeriod(models.Model):
    """A span of working hours on every working day (e.g. 08:30–12:00, 13:30–17:30)."""

    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["start"]
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("import status", "queued")
    RUNNING = "running", pgettext_lazy("import status", "running")
    DONE = "done", pgettext_lazy("import status", "done")
    FAILED = "failed", pgettext_lazy("import status", "failed")


class ImportJob(models.Model):
    """A file import started from the UI; the page polls it for progress and errors."""

    # A kind of the importer registry (sqm.core.importing): the apps register theirs, so
    # the column has no fixed choices; `kind_label` names it.
    kind = models.CharField(_("kind"), max_length=16)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("dry run"), default=False)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    # What the importer needs besides the file (a survey's questionnaire), and after a
    # success `link`: the page showing what was imported.
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in file"), null=True, blank=True)
    created_count = models.PositiveIntegerField(_("rows created"), default=0)
    updated_count = models.PositiveIntegerField(_("rows updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name}"

    @property
    def kind_label(self) -> str:
        """The kind as its importer names it (in the active language)."""
        from sqm.core.importing import kind_label

        return kind_label(self.kind)


class Notification(models.Model):
    """An in-app message for one user (SLA warnings, …); shown in the top bar until read.

    A domain stores its KIND and PARAMS (an order number, a deadline), not a sentence: the
    sentence is rendered when it is read, in the reader's language (sqm.core.notifications).
    TEXT is only the fallback for a kind nobody registered. At most one unread notification
    per (user, kind, link): a second one refreshes the first instead of piling up.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    time = models.DateTimeField(_("time"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=32)
    text = models.TextField(_("message"), blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
        constraints = [
            # No flood: one unread notification per person, kind and order (its link).
            models.UniqueConstraint(
                fields=["user", "kind", "link"],
                condition=models.Q(read_at__isnull=True) & ~models.Q(link=""),
                name="notification_one_unread",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.message()

    def message(self) -> str:
        """The sentence in the active language (the reader's, on a page)."""
        from sqm.core.notifications import render

        return render(self)


class JobCheckpoint(models.Model):
    """Up to when a periodic job has looked, so the next run only looks at what is new."""

    name = models.CharField(max_length=64, unique=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.until:%Y-%m-%d %H:%M}"
