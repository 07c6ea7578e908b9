"""The surveys' part of the generated province: survey.csv and questionnaire.yaml.

`survey_waves` quarterly waves of `survey_respondents` each, from a known structural model
(`responses.py`). The demo imports them and analyses them once, so the survey pages show
results. Registered by `SurveysConfig.ready`; see docs/generator.md ("Survey waves").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from sqm.core.generator.parts import ProvincePart, register_part
from sqm.core.generator.province import CITY_WEIGHTS, Generation, stream_key

# The demo's survey: quarterly waves ending this quarter, respondents per wave.
DEMO_SURVEY_WAVES = 2
DEMO_SURVEY_RESPONDENTS = 1500
DEMO_BOOTSTRAP = 200


def check(options: Mapping[str, Any]) -> None:
    if options["survey_waves"] < 0:
        raise ValueError(_("The number of survey waves must not be negative."))
    if options["survey_waves"] and options["survey_respondents"] < 1:
        raise ValueError(_("The number of survey respondents must be at least 1."))


def generate(generation: Generation) -> None:
    waves = generation.options["survey_waves"]
    respondents = generation.options["survey_respondents"]
    generation.manifest["survey_waves"] = waves
    generation.manifest["survey_respondents"] = respondents if waves else 0
    if not waves:
        return

    def write() -> None:
        from sqm.surveys.province.responses import write_surveys

        survey, questionnaire = write_surveys(
            generation.out,
            waves,
            respondents,
            generation.as_of,
            key=stream_key(generation.seed, "surveys"),
            city_weights=CITY_WEIGHTS,
        )
        generation.add_file("survey", survey)
        generation.add_file("questionnaire", questionnaire)

    generation.run(write)


def load_demo(load) -> None:
    """Import the survey with its questionnaire and analyse it once."""
    from django.utils.translation import gettext

    from sqm.surveys.choices import RunStatus
    from sqm.surveys.csi import Options
    from sqm.surveys.models import AnalysisRun
    from sqm.surveys.services import do_run_analysis, import_survey

    if not load.wrote("survey"):
        return
    load.say(gettext("generating and analysing a satisfaction survey"))
    questionnaire, result = import_survey(load.file("survey"), str(load.file("questionnaire")))
    if not result.ok:
        raise RuntimeError("\n".join(result.error_lines()[:20]))
    run = AnalysisRun.objects.create(
        questionnaire=questionnaire,
        structural_model=questionnaire.structural_models.filter(is_default=True).first(),
        options={**Options(bootstrap=DEMO_BOOTSTRAP).__dict__},
        status=RunStatus.QUEUED,
    )
    do_run_analysis(run.pk)


def register() -> None:
    register_part(
        ProvincePart(
            name="survey",
            files={"survey": "survey.csv", "questionnaire": "questionnaire.yaml"},
            options={"survey_waves": 0, "survey_respondents": 1000},
            demo_options={
                "survey_waves": DEMO_SURVEY_WAVES,
                "survey_respondents": DEMO_SURVEY_RESPONDENTS,
            },
            check=check,
            generate=generate,
            load_demo=load_demo,
            legacy_marker=".survey-imported",
        )
    )
