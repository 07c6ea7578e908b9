from django import forms
from django.utils.translation import gettext_lazy as _


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        min_length=2,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. callback for work order")}),
    )
