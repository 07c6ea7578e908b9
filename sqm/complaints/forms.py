from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sqm.complaints import idempotency, records
from sqm.complaints.choices import CallbackOutcome, CauseKind, Channel, Demand, Topic
from sqm.complaints.models import ComplaintCause, Department
from sqm.complaints.services import Intake, filing_categories
from sqm.core.inputs import MAX_ID, AwareDateTimeField
from sqm.network.fault_queries import user_cities


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.path


class IntakeForm(forms.Form):
    """One customer contact as the agent records it; triage reads the intake facts."""

    customer = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    account = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_ID
    )
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices, initial="hotline")
    topic = forms.ChoiceField(label=_("topic"), choices=Topic.choices, initial="other")
    demands = forms.MultipleChoiceField(
        label=_("demands"),
        choices=Demand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    dissatisfied = forms.BooleanField(label=_("expresses dissatisfaction"), required=False)
    accepted = forms.BooleanField(label=_("accepted the on-the-spot result"), required=False)
    needs_handover = forms.BooleanField(
        label=_("needs dispatch, investigation or another department"), required=False
    )
    description = forms.CharField(
        label=_("description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )
    category = CategoryChoiceField(label=_("category"), queryset=filing_categories())
    # Minted when the form is rendered; see complaints.idempotency. Required: a form without
    # one could be recorded twice.
    submission_key = forms.CharField(
        widget=forms.HiddenInput,
        initial=idempotency.new_key,
        error_messages={"required": _("The form is damaged; reload the page.")},
    )

    def clean_submission_key(self) -> str:
        key = self.cleaned_data["submission_key"]
        if not idempotency.is_key(key):
            raise forms.ValidationError(_("The form is damaged; reload the page."))
        return key

    def intake(self) -> Intake:
        data = self.cleaned_data
        return Intake(
            topic=data["topic"],
            accepted=data["accepted"],
            demands=data["demands"],
            dissatisfied=data["dissatisfied"],
            needs_handover=data["needs_handover"],
        )


class TriageForm(IntakeForm):
    """The intake facts alone, for the live triage preview."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("customer", "account", "channel", "description", "category", "submission_key"):
            del self.fields[name]


class ActionForm(forms.Form):
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    department = forms.ModelChoiceField(
        label=_("department"),
        queryset=Department.objects.filter(active=True).exclude(kind="front_line"),
        required=False,
    )


class CallbackForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("callback outcome"), choices=CallbackOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    remediation_owner = forms.ModelChoiceField(
        label=_("remediation follow-up owner"),
        queryset=None,
        required=False,
        help_text=_("Needed when the customer is dissatisfied."),
    )

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        from sqm.complaints.workorders import remediation_owners

        # Only people who may own remediation in the order's city (workorders).
        if order is not None:
            people = remediation_owners(order)
        else:
            people = get_user_model().objects.none()
        self.fields["remediation_owner"].queryset = people.order_by("username")


class AssignForm(forms.Form):
    """Give a work order to a named colleague (only those who may hold it are offered)."""

    assignee = forms.ModelChoiceField(label=_("assign to"), queryset=None)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["assignee"].queryset = (
            people if people is not None else get_user_model().objects.none()
        )
        self.fields["assignee"].label_from_instance = lambda user: user.username


class BulkEscalateForm(forms.Form):
    """Escalate the selected work orders: where to, and why (the reason each one needs)."""

    department = forms.ModelChoiceField(
        label=_("department"),
        queryset=Department.objects.filter(active=True).exclude(kind="front_line"),
    )
    note = forms.CharField(label=_("reason"), max_length=4000)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("internal note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        help_text=_("Seen by staff only; never shown or sent to the customer."),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("file"))


class BreachReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason for the breach"), widget=forms.Textarea(attrs={"rows": 2})
    )


class LinkCauseForm(forms.Form):
    cause = forms.ModelChoiceField(
        label=_("batch cause"),
        queryset=ComplaintCause.objects.filter(ended_at__isnull=True),
        required=False,
        empty_label=_("(none)"),
    )

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        if order is not None:  # a fault in Nanjing is no cause of a Suzhou complaint
            self.fields["cause"].queryset = records.causes_for(order)


class CauseForm(forms.ModelForm):
    class Meta:
        model = ComplaintCause
        fields = ["kind", "title", "description", "city", "started_at", "ended_at", "reference"]
        field_classes = {"started_at": AwareDateTimeField, "ended_at": AwareDateTimeField}
        widgets = {
            "started_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ended_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    kind = forms.ChoiceField(label=_("kind"), choices=CauseKind.choices)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:  # the user's own cities, as the API's city field allows
            self.fields["city"].queryset = user_cities(user)
