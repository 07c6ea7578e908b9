"""Forms of the quality pages: queue a KPI run, set an indicator's target."""

from __future__ import annotations

import math

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.models import City
from sqm.quality import services
from sqm.quality.choices import Better, Engine, Unit
from sqm.quality.dashboard import last_complete_month


class RunForm(forms.Form):
    month = forms.ChoiceField(label=_("Month"))
    engine = forms.ChoiceField(label=_("Engine"), choices=Engine.choices, initial=Engine.DUCKDB)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(m, m) for m in services.month_choices(24)]
        self.fields["month"].initial = last_complete_month().label


class TargetForm(forms.Form):
    """A target and warning threshold for a year, for the province (no city) or one city.
    Users bound to cities set their own cities' targets only."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    city = forms.ModelChoiceField(
        label=_("City"),
        queryset=City.objects.none(),
        required=False,
        empty_label=_("whole province"),
    )
    target = forms.FloatField(label=pgettext_lazy("indicator", "Target"))
    warning = forms.FloatField(label=_("Warning threshold"), required=False)

    def __init__(self, *args, indicator, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        every_city = user.is_superuser or getattr(user, "all_cities", False)
        cities = City.objects.all()
        if not every_city:
            cities = cities.filter(pk__in=sorted(user.city_ids()))
            self.fields["city"].required = True
            self.fields["city"].empty_label = None
        self.fields["city"].queryset = cities
        # Shares are entered as percentages (95 for 95 %) and stored as fractions.
        self.percent = indicator.unit == Unit.RATIO
        if self.percent:
            self.fields["target"].label = pgettext_lazy("indicator", "Target (%)")
            self.fields["warning"].label = _("Warning threshold (%)")

    def clean(self) -> dict:
        data = super().clean()
        target, warning = data.get("target"), data.get("warning")
        for name, value in (("target", target), ("warning", warning)):
            if value is not None and (not math.isfinite(value) or abs(value) > 1e12):
                self.add_error(name, _("Enter an ordinary number."))
                return data
            # Every unit counts or measures something: never below zero, a share at most 100 %.
            if value is not None and (value < 0 or (self.percent and value > 100)):
                self.add_error(
                    name,
                    _("Enter a share from 0 to 100.") if self.percent else _("Enter 0 or more."),
                )
                return data
        if target is not None and warning is not None:
            higher = self.indicator.better == Better.HIGHER
            if (higher and warning > target) or (not higher and warning < target):
                self.add_error(
                    "warning",
                    _("The warning threshold lies between the target and worse values."),
                )
        if self.percent:
            for name in ("target", "warning"):
                if data.get(name) is not None:
                    data[name] = data[name] / 100
        return data
