"""Importer for survey response tables: one row per respondent, one column per item."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sqm.core.bulk import inserter_for
from sqm.core.importing import Importer, register
from sqm.core.importing import fields as f
from sqm.core.importing.base import RowInvalid
from sqm.surveys.models import Questionnaire, Response

RESPONSE_COLUMNS = ("respondent_id", "operator", "wave")
SEGMENT_COLUMNS = ("brand", "city", "product")
NOT_ANSWERED = frozenset({"", "NA", "N/A", "na", "n/a"})


@register
class SurveyImporter(Importer):
    """Responses to one questionnaire. A missing answer (empty cell, NA or one of the
    questionnaire's missing codes) is stored as null; anything else must be a whole number on
    the item's scale. A respondent already stored is replaced by the file's row."""

    kind = "survey"

    def __init__(self, questionnaire: Questionnaire | None = None) -> None:
        super().__init__()
        if questionnaire is None:
            raise ValueError(_("a survey import needs its questionnaire (--questionnaire)"))
        self.questionnaire = questionnaire
        self.items = [
            (i.code, i.scale_min, i.scale_max) for i in questionnaire.items.order_by("position")
        ]
        self.required = RESPONSE_COLUMNS + tuple(code for code, _low, _high in self.items)
        self.optional = SEGMENT_COLUMNS
        self.missing = NOT_ANSWERED | {str(code) for code in questionnaire.missing_codes}
        self.own = questionnaire.own_operator

    def clean_row(self, line: int, row: dict[str, str]) -> dict:
        respondent = self.unique_key(line, row, "respondent_id", 64)
        operator = f.required(row, "operator", 40)
        answers: dict[str, int | None] = {}
        for code, low, high in self.items:
            answers[code] = self._answer(row.get(code, "").strip(), code, low, high)
        return {
            "questionnaire_id": self.questionnaire.pk,
            "respondent_id": respondent,
            "operator": operator,
            "is_own": operator == self.own,
            "wave": f.required(row, "wave", 20),
            "brand": f.optional(row, "brand", 40),
            "city": f.optional(row, "city", 40),
            "product": f.optional(row, "product", 40),
            "answers": answers,
        }

    def _answer(self, value: str, code: str, low: int, high: int) -> int | None:
        if value in self.missing:
            return None
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is None or not number.is_integer():
            raise RowInvalid(
                code,
                _("%(value)r is not a whole number (leave the cell empty for no answer)")
                % {"value": value},
            )
        if not low <= number <= high:
            raise RowInvalid(
                code,
                _("%(value)s is outside the item's scale %(low)d–%(high)d")
                % {"value": value, "low": low, "high": high},
            )
        return int(number)

    def write(self, batch, *, log_changes: bool) -> tuple[int, int]:
        if self.error_count:
            return 0, 0  # the import will be rolled back; keep validating, stop writing
        ids = [v["respondent_id"] for _line, v in batch]
        replaced, _by_model = Response.objects.filter(
            questionnaire=self.questionnaire, respondent_id__among=ids
        ).delete()
        inserter_for(Response).insert(v for _line, v in batch)
        return len(batch) - replaced, replaced
