from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sqm.knowledge.choices import SearchKind
from sqm.knowledge.search import Filters


class SearchForm(forms.Form):
    """The search's query and filters, from the results page, the header box or the API."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False, strip=True)
    kind = forms.MultipleChoiceField(label=_("kind"), choices=SearchKind.choices, required=False)
    city = forms.CharField(label=_("city"), max_length=16, required=False)
    category = forms.CharField(label=_("category"), max_length=64, required=False)
    state = forms.CharField(label=_("state"), max_length=32, required=False)
    handler = forms.CharField(label=_("handler"), max_length=150, required=False)
    date_from = forms.DateField(label=_("start date"), required=False)
    date_to = forms.DateField(label=_("end date"), required=False)
    limit = forms.IntegerField(min_value=1, max_value=100, required=False)
    offset = forms.IntegerField(min_value=0, max_value=10_000, required=False)

    def __init__(self, data=None, *args, **kwargs) -> None:
        if data is not None and hasattr(data, "getlist"):
            # `from` and `to` in URLs; Python reserves `from`.
            data = data.copy()
            for short, name in (("from", "date_from"), ("to", "date_to")):
                if short in data and name not in data:
                    data[name] = data[short]
        super().__init__(data, *args, **kwargs)

    def clean_city(self) -> int | None:
        code = self.cleaned_data["city"]
        if not code:
            return None
        from sqm.core.models import City

        city = City.objects.filter(code=code).first()
        if city is None:
            raise forms.ValidationError(_("No city with code %(code)s.") % {"code": code})
        return city.pk

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            kinds=tuple(data["kind"]),
            city=data["city"],
            category=data["category"],
            state=data["state"],
            handler=data["handler"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
