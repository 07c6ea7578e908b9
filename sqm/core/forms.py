from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from sqm.core.importing import upload_kinds

# Every form's label suffix is Django's gettext(":"), which Django's own zh-hans catalogue
# leaves ASCII ("类型: "). Our catalogue (LOCALE_PATHS, merged over Django's) translates it
# "：", for all forms at once (ours, the log-in form, django-filter's); marked here so
# makemessages keeps the entry.
LABEL_SUFFIX = gettext_noop(":")

UPLOAD_SUFFIXES = (".csv", ".xlsx", ".jsonl", ".ndjson")
MAX_UPLOAD_MB = 512


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    file = forms.FileField(
        label=_("File"), help_text=_(".csv (UTF-8 or GBK), .xlsx, or .jsonl (complaints)")
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        required=False,
        choices=[("", _("UTF-8")), ("gbk", _("GBK"))],
    )
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Every registered kind the user may import (each importer names its permission).
        self.fields["kind"].choices = upload_kinds(user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(UPLOAD_SUFFIXES):
            raise forms.ValidationError(_("Upload a .csv, .xlsx or .jsonl file."))
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(n)d MB.") % {"n": MAX_UPLOAD_MB}
            )
        return upload
