"""Complaint reference data: departments and the three-level category tree.

The tree is the operator's four layers made data: customer → need area (second level) →
assurance module → responsible department. Administrators edit it; the defaults come from
sqm/complaints/data/categories.json.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.complaints.choices import DepartmentKind, NeedArea
from sqm.core.models import ChangeLoggedModel

MAX_LEVEL = 3


class Department(ChangeLoggedModel):
    """A unit that handles work orders: the front line, second-line groups, departments."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=DepartmentKind.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Category(ChangeLoggedModel):
    """One node of the complaint category tree (e.g. 网络质量 › 家庭宽带 › 网速慢).

    Second-level nodes carry the need area and the responsible department; work orders are
    filed under third-level nodes and inherit both from their parent.
    """

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    level = models.PositiveSmallIntegerField(_("level"), editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=64)
    need_area = models.CharField(
        _("need area"), max_length=24, choices=NeedArea.choices, blank=True
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        verbose_name=_("responsible department"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name")
        ]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))

    def clean(self) -> None:
        self.level = 1 if self.parent is None else self.parent.level + 1
        if self.level > MAX_LEVEL:
            raise ValidationError({"parent": _("Categories have at most three levels.")})
        if self.level == 2 and not (self.need_area and self.department_id):
            raise ValidationError(
                _("A second-level category needs a need area and a responsible department.")
            )
        if self.level != 2 and (self.need_area or self.department_id):
            raise ValidationError(
                _("Only second-level categories carry a need area and a department.")
            )

    def save(self, *args, **kwargs):
        self.level = 1 if self.parent is None else self.parent.level + 1
        super().save(*args, **kwargs)
