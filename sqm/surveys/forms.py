"""Forms of the survey pages: upload, structural model, analysis run."""

from __future__ import annotations

import yaml
from django import forms
from django.utils.translation import gettext_lazy as _

from sqm.surveys.models import Questionnaire, StructuralModel

MAX_UPLOAD = 50 * 1024 * 1024
MAX_QUESTIONNAIRE = 1024 * 1024  # it travels as text in the import job's options


class UploadForm(forms.Form):
    questionnaire = forms.ModelChoiceField(
        Questionnaire.objects.all(), required=False, label=_("Questionnaire"),
        empty_label=_("— from the questionnaire file below —"),
    )  # fmt: skip
    questionnaire_file = forms.FileField(
        required=False, label=_("Questionnaire file (.yaml)"),
        help_text=_("A new questionnaire, or a new version of a stored one (same code)."),
    )  # fmt: skip
    responses = forms.FileField(label=_("Responses (.csv or .xlsx)"))

    def clean(self):
        data = super().clean()
        if not data.get("questionnaire") and not data.get("questionnaire_file"):
            raise forms.ValidationError(_("Pick a questionnaire or upload its .yaml file."))
        spec = data.get("questionnaire_file")
        if spec is not None and spec.size > MAX_QUESTIONNAIRE:
            self.add_error("questionnaire_file", _("The questionnaire file is larger than 1 MB."))
        upload = data.get("responses")
        if upload is not None:
            if upload.size > MAX_UPLOAD:
                raise forms.ValidationError(_("The responses file is larger than 50 MB."))
            if not upload.name.lower().endswith((".csv", ".xlsx")):
                self.add_error("responses", _("Upload a .csv or .xlsx file."))
        return data


class StructuralModelForm(forms.ModelForm):
    """The model as YAML text, in the shape of `sqm survey pls` model files; blocks may leave
    out `items` to take the questionnaire's items of that construct."""

    text = forms.CharField(
        label=_("Model (YAML)"), widget=forms.Textarea(attrs={"rows": 16, "cols": 70})
    )

    class Meta:
        model = StructuralModel
        fields = ["name", "is_default"]

    def __init__(self, *args, questionnaire: Questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        if self.instance.pk and not self.is_bound:
            self.initial["text"] = yaml.safe_dump(
                self.instance.spec, allow_unicode=True, sort_keys=False
            )

    def clean_text(self):
        from sqm.surveys.services import InputError, parse_model_text

        try:
            return parse_model_text(self.questionnaire, self.cleaned_data["text"])
        except InputError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_name(self):
        name = self.cleaned_data["name"]
        taken = StructuralModel.objects.filter(questionnaire=self.questionnaire, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This questionnaire already has a model of that name."))
        return name


class RunForm(forms.Form):
    structural_model = forms.ModelChoiceField(StructuralModel.objects.none(), label=_("Model"))
    wave = forms.ChoiceField(label=_("Wave"), required=False)
    bootstrap = forms.IntegerField(
        label=_("Bootstrap resamples"), min_value=0, max_value=5000, initial=200,
        help_text=_("0 for none; 200 gives stable intervals"),
    )  # fmt: skip
    enter = forms.FloatField(label=_("Stepwise entry p"), min_value=0.0001, max_value=0.5,
                             initial=0.05)  # fmt: skip
    remove = forms.FloatField(label=_("Stepwise removal p"), min_value=0.0001, max_value=0.99,
                              initial=0.10)  # fmt: skip

    grades = forms.CharField(
        label=_("Fuzzy grade values"), initial="100,80,60,40,20", max_length=100,
        help_text=_("best first: very satisfied … very dissatisfied"),
    )  # fmt: skip

    def clean_grades(self):
        from sqm.surveys.csi import grades_from_values

        try:
            return grades_from_values(self.cleaned_data["grades"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def __init__(self, *args, questionnaire: Questionnaire, waves: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        models = questionnaire.structural_models.all()
        self.fields["structural_model"].queryset = models
        self.fields["structural_model"].initial = next((m for m in models if m.is_default), None)
        self.fields["wave"].choices = [("", _("all waves"))] + [(w, w) for w in waves]

    def clean(self):
        data = super().clean()
        if data.get("bootstrap") == 1:
            self.add_error("bootstrap", _("Use 0 (none) or at least 2 resamples."))
        if data.get("enter") and data.get("remove") and data["enter"] >= data["remove"]:
            self.add_error("remove", _("The removal p must be above the entry p."))
        return data
