"""Importer for survey response tables: one row per respondent, one column per item."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    label = gettext_lazy("survey responses")
    permission = "surveys.add_response"
    upload_page = False  # it needs its questionnaire: uploaded on the surveys page

    def __init__(
        self,
        questionnaire: Questionnaire | str | None = None,
        questionnaire_text: str | None = None,
        questionnaire_name: str = "questionnaire.yaml",
    ) -> None:
        """QUESTIONNAIRE is a stored one (or its code); or QUESTIONNAIRE_TEXT is a
        questionnaire file, checked here (reading only) and saved in the write transaction."""
        super().__init__()
        self.spec = self.text = None
        if questionnaire_text is not None:
            self._from_file(questionnaire_text, questionnaire_name)
        elif questionnaire is None:
            raise ValueError(_("a survey import needs its questionnaire (--questionnaire)"))
        else:
            if isinstance(questionnaire, str):
                questionnaire = self._stored(questionnaire)
            self.questionnaire = questionnaire
            items = questionnaire.items.order_by("position")
            self.items = [(i.code, i.scale_min, i.scale_max) for i in items]
            missing, self.own = questionnaire.missing_codes, questionnaire.own_operator
        if self.spec is not None:
            missing, self.own = self.spec.missing_codes, self.spec.own_operator
        self.required = RESPONSE_COLUMNS + tuple(code for code, _low, _high in self.items)
        self.optional = SEGMENT_COLUMNS
        self.missing = NOT_ANSWERED | {str(code) for code in missing}

    @staticmethod
    def _stored(code: str) -> Questionnaire:
        found = Questionnaire.objects.filter(code=code).first()
        if found is None:
            raise RowInvalid(
                "questionnaire",
                _("no questionnaire with code %(code)s (load one with its .yaml file)")
                % {"code": code},
            )
        return found

    def _from_file(self, text: str, name: str) -> None:
        from pathlib import Path

        from sqm.surveys.questionnaire import InputError, parse_questionnaire
        from sqm.surveys.services import _check_answers_keep_meaning

        try:
            self.spec = parse_questionnaire(Path(name), text)
            # A stored version with answers must keep their meaning: checked now, read only.
            self.questionnaire = Questionnaire.objects.filter(code=self.spec.code).first()
            if self.questionnaire is not None:
                _check_answers_keep_meaning(self.questionnaire, self.spec)
        except InputError as exc:
            raise RowInvalid("questionnaire", str(exc)) from exc
        self.text = text
        self.items = [(i.code, i.scale_min, i.scale_max) for i in self.spec.items]

    @classmethod
    def add_command_arguments(cls, parser) -> None:
        parser.add_argument(
            "--questionnaire",
            metavar="Q",
            help=gettext_lazy(
                "survey only: the questionnaire's code, or its .yaml file (loaded, or brought "
                "up to date, together with the responses)"
            ),
        )

    @classmethod
    def run_command(cls, path, options: dict, **common):
        """`sqm import survey FILE --questionnaire Q` (services.import_survey)."""
        from django.core.management.base import CommandError

        from sqm.surveys.services import InputError, import_survey

        if not options.get("questionnaire"):
            raise CommandError(
                _("--questionnaire is required for survey and only for survey"), returncode=2
            )
        try:
            _found, result = import_survey(path, options["questionnaire"], **common)
        except InputError as exc:
            raise CommandError(str(exc)) from exc
        return result

    def begin(self) -> None:
        if self.spec is not None:
            from sqm.surveys.services import save_questionnaire

            self.questionnaire = save_questionnaire(self.spec, self.text)

    def link(self) -> str:
        from django.urls import reverse

        return reverse("surveys:questionnaire", args=[self.questionnaire.pk])

    def clean_row(self, line: int, row: dict[str, str]) -> dict:
        respondent = self.unique_key(line, row, "respondent_id", 64)
        operator = f.required(row, "operator", 40)
        answers: dict[str, int | None] = {}
        for code, low, high in self.items:
            answers[code] = self._answer(row.get(code, "").strip(), code, low, high)
        return {
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

    def check(self, batch) -> tuple[int, int, list]:
        if self.questionnaire is None:  # a new questionnaire has no respondents yet
            return len(batch), 0, batch
        ids = [v["respondent_id"] for _line, v in batch]
        stored = Response.objects.filter(questionnaire=self.questionnaire, respondent_id__among=ids)
        found = stored.count()
        return len(batch) - found, found, batch

    def write(self, batch, *, log_changes: bool) -> tuple[int, int]:
        ids = [v["respondent_id"] for _line, v in batch]
        replaced, _by_model = Response.objects.filter(
            questionnaire=self.questionnaire, respondent_id__among=ids
        ).delete()
        pk = self.questionnaire.pk
        inserter_for(Response).insert({**v, "questionnaire_id": pk} for _line, v in batch)
        return len(batch) - replaced, replaced
