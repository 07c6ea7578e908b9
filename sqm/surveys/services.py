"""Survey analytics services: reading a PLS model file and a response table, and running
the estimate the `sqm survey pls` command, the pages and the API share (docs/surveys.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from sqm.core.importing import ImportResult
from sqm.surveys.csi import ItemInfo, Options, Progress, SurveyData, analyse
from sqm.surveys.models import Item, Questionnaire, Response, StructuralModel
from sqm.surveys.pls import Bootstrap, Model, ModelError, Result
from sqm.surveys.pls import bootstrap as run_bootstrap
from sqm.surveys.pls import estimate as run_estimate
from sqm.surveys.questionnaire import (
    InputError,
    ItemSpec,
    Spec,
    _Keyed,
    load_yaml,
    model_of,
    model_spec,
    parse_questionnaire,
)


def read_model(path: Path) -> Model:
    """A model file (YAML): `constructs: {NAME: {mode: A|B, items: [...]}}`, `paths: [[FROM,
    TO], ...]`, `scheme: centroid|factorial|path` (default centroid), `scaled: true|false`."""
    spec = model_spec(_Keyed(path), load_yaml(path), None, prefix="", default_scheme="centroid")
    return model_of(spec)


@dataclass
class Responses:
    columns: list[str]
    values: np.ndarray  # respondents × columns (the model's items), no missing values
    dropped: int  # respondents left out for a missing answer


def read_responses(path: Path, items: list[str]) -> Responses:
    """The model's ITEMS from a CSV or XLSX response table (one respondent per row, a header
    row naming the columns), read by the import readers. Respondents with a missing answer
    to any of the items are left out (listwise deletion) and counted; any other non-numeric
    cell is an error naming its line and column."""
    from sqm.core.importing.reader import INVALID, UnreadableFile, open_table
    from sqm.surveys.importers import NOT_ANSWERED

    try:
        table = open_table(path)
        header = table.header or []
        missing = [item for item in items if item not in header]
        if missing:
            raise InputError(f"{path}:1: " + _("no column named") + f" {', '.join(missing)}")
        values, dropped = [], 0
        for line, row in table.rows:
            if INVALID in row:
                raise InputError(f"{path}:{line}: {row[INVALID]}")
            parsed = []
            for item in items:
                cell = row.get(item, "")
                if cell in NOT_ANSWERED:
                    parsed.append(math.nan)
                    continue
                try:
                    parsed.append(float(cell))
                except ValueError:
                    message = _("not a number")
                    raise InputError(f"{path}:{line}: {item}: {message}: {cell!r}") from None
            if any(math.isnan(v) for v in parsed):
                dropped += 1
                continue
            values.append(parsed)
    except UnreadableFile as exc:
        raise InputError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from exc
    if not values:
        raise InputError(f"{path}: " + _("no respondent answered every item of the model"))
    return Responses(items, np.array(values), dropped)


@dataclass
class Estimate:
    result: Result
    responses: Responses
    bootstrap: Bootstrap | None = None


def estimate_pls(data: Path, model_file: Path, resamples: int = 0, seed: int = 1) -> Estimate:
    """Read the model and the responses, estimate, and bootstrap when RESAMPLES > 0."""
    model = read_model(model_file)
    items = [item for construct in model.constructs for item in construct.items]
    responses = read_responses(data, items)
    try:
        result = run_estimate(responses.values, responses.columns, model)
        boot = None
        if resamples:
            boot = run_bootstrap(responses.values, responses.columns, model, resamples, seed)
    except ModelError as exc:
        raise InputError(f"{data}: {exc}") from exc
    return Estimate(result, responses, boot)


def json_lines(found: Estimate) -> list[dict]:
    """The estimate as the objects `sqm survey pls --json` prints, one per line."""
    result, boot = found.result, found.bootstrap
    names = result.model.names
    lines: list[dict] = []
    path_ci = Bootstrap.summary(boot.paths) if boot else None
    for source, target in result.model.paths:
        i, j = names.index(target), names.index(source)
        line = {"type": "path", "from": source, "to": target,
                "estimate": float(result.paths[i, j])}  # fmt: skip
        if path_ci:
            line.update(_interval(path_ci, (i, j)))
        lines.append(line)
    weight_ci = Bootstrap.summary(boot.weights) if boot else None
    for k, item in enumerate(result.items):
        line = {
            "type": "outer",
            "construct": names[result.block_of[k]],
            "item": item,
            "weight": float(result.weights[k]),
            "loading": float(result.loadings[k]),
        }
        if weight_ci:
            interval = _interval(weight_ci, k)
            line.update({f"weight_{key}": value for key, value in interval.items()})
        lines.append(line)
    for j, name in enumerate(names):
        unidim = result.reliability[name]
        lines.append({"type": "construct", "name": name, "r2": float(result.r2[j]),
                      "ave": float(result.ave[j]), "cronbach_alpha": unidim.cronbach_alpha,
                      "dg_rho": unidim.dillon_goldstein_rho})  # fmt: skip
    lines.append({"type": "fit", "gof": result.gof, "respondents": len(found.responses.values),
                  "dropped": found.responses.dropped, "iterations": result.iterations,
                  "resamples": boot.resamples if boot else 0})  # fmt: skip
    return lines


def _interval(summary: dict[str, np.ndarray], index) -> dict[str, float]:
    return {
        "std_error": float(summary["std_error"][index]),
        "ci_low": float(summary["low"][index]),
        "ci_high": float(summary["high"][index]),
    }


# Questionnaires ---------------------------------------------------------------------------


def save_questionnaire(spec: Spec, source: str = "") -> Questionnaire:
    """Create the questionnaire SPEC describes, or bring the stored one of the same code up
    to date (each change is change-logged). Once responses are stored, an item that has
    answers keeps its scale and reverse coding and cannot be removed: the answers would
    change meaning."""
    with transaction.atomic():
        questionnaire, created = Questionnaire.objects.select_for_update().get_or_create(
            code=spec.code,
            defaults={"name": spec.name, "own_operator": spec.own_operator,
                      "missing_codes": spec.missing_codes, "composite": spec.composite,
                      "source": source},
        )  # fmt: skip
        if not created:
            _check_answers_keep_meaning(questionnaire, spec)
            changed = False
            for attr, value in (("name", spec.name), ("own_operator", spec.own_operator),
                                ("missing_codes", spec.missing_codes),
                                ("composite", spec.composite), ("source", source)):  # fmt: skip
                if getattr(questionnaire, attr) != value:
                    setattr(questionnaire, attr, value)
                    changed = True
            if changed:
                questionnaire.save()
        stored = {i.code: i for i in questionnaire.items.all()}
        for position, item in enumerate(spec.items, start=1):
            values = {"position": position, "text": item.text, "construct": item.construct,
                      "process": item.process, "scale_min": item.scale_min,
                      "scale_max": item.scale_max, "reverse": item.reverse,
                      "servqual_dimension": item.servqual_dimension,
                      "servqual_kind": item.servqual_kind}  # fmt: skip
            current = stored.pop(item.code, None)
            if current is None:
                Item.objects.create(questionnaire=questionnaire, code=item.code, **values)
            elif any(getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                current.save()
        for gone in stored.values():
            gone.delete()
        if spec.model is not None:
            model, _created = StructuralModel.objects.get_or_create(
                questionnaire=questionnaire,
                name="default",
                defaults={"spec": spec.model, "is_default": True},
            )
            if model.spec != spec.model:
                model.spec = spec.model
                model.save()
    return questionnaire


def _check_answers_keep_meaning(questionnaire: Questionnaire, spec: Spec) -> None:
    responses = questionnaire.responses.count()
    if not responses:
        return
    wanted = {i.code: (n, i) for n, i in enumerate(spec.items, start=1)}
    for item in questionnaire.items.all():
        found = wanted.get(item.code)
        if found is None:
            raise InputError(
                _("%(code)s: %(n)d responses are stored; an item with answers cannot be "
                  "removed") % {"code": item.code, "n": responses}
            )  # fmt: skip
        n, new = found
        if (new.scale_min, new.scale_max, new.reverse) != (
            item.scale_min, item.scale_max, item.reverse
        ):  # fmt: skip
            raise InputError(
                f"items[{n}]: "
                + _("%(n)d responses are stored on %(low)d–%(high)d; the scale and reverse "
                    "coding of an answered item cannot change")
                % {"n": responses, "low": item.scale_min, "high": item.scale_max}
            )  # fmt: skip


def read_questionnaire_text(path: Path) -> str:
    """The questionnaire file's text; an unreadable or non-UTF-8 file is an InputError."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path}: " + _("not UTF-8 text")) from None


def load_questionnaire(path: Path) -> Questionnaire:
    """Read the questionnaire file PATH and save it (see `save_questionnaire`)."""
    text = read_questionnaire_text(path)
    spec = parse_questionnaire(path, text)
    try:
        return save_questionnaire(spec, text)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc


def find_questionnaire(reference: str) -> Questionnaire:
    """A stored questionnaire by code, or the file REFERENCE loaded (a path ending in .yaml
    or .yml)."""
    path = Path(reference)
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_questionnaire(path)
    try:
        return Questionnaire.objects.get(code=reference)
    except Questionnaire.DoesNotExist:
        raise InputError(
            _("no questionnaire with code %(code)s (load one with its .yaml file)")
            % {"code": reference}
        ) from None


def import_survey(path: Path, questionnaire: str, **options) -> tuple[Questionnaire, ImportResult]:
    """`sqm import survey FILE --questionnaire Q`: the questionnaire (a stored code, or a
    .yaml file saved in the import's write transaction) and the responses, all or nothing.
    Returns the questionnaire (None if a new one was not saved: bad rows or a dry run) and
    the import's result (bad rows are in it); a bad questionnaire raises InputError."""
    import sqm.surveys.importers  # noqa: F401 - registers the survey importer
    from sqm.core.importing import run_import

    reference = Path(questionnaire)
    if reference.suffix.lower() in (".yaml", ".yml"):
        text = read_questionnaire_text(reference)
        spec = parse_questionnaire(reference, text)  # raises InputError naming the key
        stored = Questionnaire.objects.filter(code=spec.code).first()
        if stored is not None:
            try:
                _check_answers_keep_meaning(stored, spec)
            except InputError as exc:
                raise InputError(f"{reference}: {exc}") from exc
        importer = {"questionnaire_text": text, "questionnaire_name": str(reference)}
        code = spec.code
    else:
        stored = find_questionnaire(questionnaire)  # raises InputError
        importer, code = {"questionnaire": stored}, stored.code
    result = run_import("survey", path, options=importer, **options)
    return Questionnaire.objects.filter(code=code).first(), result


# The satisfaction analysis ----------------------------------------------------------------


def survey_data(questionnaire: Questionnaire, wave: str = "") -> SurveyData:
    """The questionnaire's responses (one wave, or all) as a matrix of answers recoded so that
    higher is better, with each respondent's operator and segments."""
    items = [
        ItemInfo(i.code, i.text, i.scale_min, i.scale_max, i.construct, i.process, i.reverse,
                 i.servqual_dimension, i.servqual_kind)
        for i in questionnaire.items.order_by("position")
    ]  # fmt: skip
    rows = Response.objects.filter(questionnaire=questionnaire)
    if wave:
        rows = rows.filter(wave=wave)
    fields = ("operator", "is_own", "brand", "city", "product", "wave", "answers")
    table = list(rows.order_by("pk").values_list(*fields))
    answers = np.array(
        [[math.nan if (v := r[6].get(i.code)) is None else v for i in items] for r in table],
        dtype=float,
    ).reshape(len(table), len(items))
    for k, item in enumerate(items):
        if item.reverse:
            answers[:, k] = item.scale_min + item.scale_max - answers[:, k]
    column = {name: np.array([r[n] for r in table], dtype=object) for n, name in enumerate(fields)}
    return SurveyData(
        items=items,
        answers=answers,
        operator=column["operator"].astype(str),
        is_own=column["is_own"].astype(bool),
        segments={k: column[k].astype(str) for k in ("brand", "city", "product", "wave")},
    )


def run_csi(
    questionnaire: Questionnaire,
    structural_model: StructuralModel | None = None,
    wave: str = "",
    options: Options | None = None,
    progress: Progress | None = None,
) -> dict:
    """The satisfaction analysis (`csi.analyse`) of the stored responses. Raises InputError
    when there is nothing to analyse or the model cannot be estimated."""
    model = structural_model or questionnaire.structural_models.filter(is_default=True).first()
    if model is None:
        raise InputError(
            _("%(code)s has no structural model: add one to the questionnaire file")
            % {"code": questionnaire.code}
        )
    data = survey_data(questionnaire, wave)
    if not data.is_own.any():
        raise InputError(
            _("no responses from %(operator)s customers to analyse")
            % {"operator": questionnaire.own_operator}
        )
    try:
        out = analyse(data, model.spec, questionnaire.composite, options, progress)
    except (ModelError, ValueError) as exc:
        raise InputError(f"{questionnaire.code}: {exc}") from exc
    out["questionnaire"] = questionnaire.code
    out["model"] = model.name
    out["wave"] = wave
    out["composite"] = questionnaire.composite
    return out


def csi_lines(out: dict) -> list[dict]:
    """The analysis as the objects `sqm survey csi --json` prints, one per line."""
    lines: list[dict] = [{"type": "path", **p} for p in out["pls"]["paths"]]
    for c in out["pls"]["constructs"]:
        lines.append({"type": "construct", **{k: v for k, v in c.items() if k != "total_effects"},
                      "total_effect_on_target": c["total_effects"].get(
                          (out["drivers"] or {}).get("target", "SAT"))})  # fmt: skip
    keys = [e["key"] for e in out["elements"] if e["kind"] != "item"]
    for row in out["segments"]:
        lines.append({"type": "index", "segment": row["segment"], "value": row["value"],
                      "n": row["n"], "small": row["small"],
                      **{k: row["scores"].get(k) for k in keys}})  # fmt: skip
    for row in out["gaps"]:
        for operator, theirs in row["competitors"].items():
            lines.append({"type": "gap", "element": row["element"], "own": row["own"],
                          "competitor": operator, **theirs})  # fmt: skip
    found = out["drivers"]
    if found:
        for c in found["coefficients"]:
            lines.append(
                {"type": "driver", **c, "lmg_share": found["lmg"]["shares"].get(c["name"])}
            )
        for name, share in found["lmg"]["shares"].items():
            lines.append({"type": "lmg", "name": name, "share": share,
                          "relative": found["lmg"]["relative"][name],
                          "selected": name in found["selected"]})  # fmt: skip
    if out["ipa"]:
        for e in out["ipa"]["elements"]:
            lines.append({"type": "ipa", **e})
        for board in out["ipa"]["short_boards"]:
            lines.append({"type": "short_board", "element": board["element"],
                          "importance": board["importance"], "performance": board["performance"],
                          "items": [i["item"] for i in board["items"]]})  # fmt: skip
    if out["fuzzy"]:
        for node in out["fuzzy"]["nodes"]:
            lines.append({"type": "fuzzy", "path": "/".join(node["path"]), "score": node["score"],
                          "grade": node["grade"], "membership": node["membership"]})  # fmt: skip
    if out["servqual"]:
        for d in out["servqual"]["dimensions"]:
            lines.append({"type": "servqual", **d})
    fit = out["pls"]["fit"]
    lines.append({"type": "fit", **fit, "r2_drivers": found["r2"] if found else None})
    return lines


# Pages: uploads, models and analysis runs -------------------------------------------------


def parse_model_text(questionnaire: Questionnaire, text: str) -> dict:
    """A structural model typed on the model page (YAML), checked against the questionnaire's
    items like the questionnaire file's own `model:`; errors name the key as typed."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("line %(n)d") % {"n": mark.line + 1} if mark else ""
        raise InputError(f"{where}: " + _("not valid YAML")) from exc
    items = [ItemSpec(i.code, i.text, i.scale_min, i.scale_max, i.construct)
             for i in questionnaire.items.all()]  # fmt: skip
    return model_spec(_Keyed(None), raw, items, prefix="")


def save_structural_model(form) -> StructuralModel:
    """Save the model form; a model made the default takes that from the others."""
    with transaction.atomic():
        model = form.save(commit=False)
        model.questionnaire = form.questionnaire
        model.spec = form.cleaned_data["text"]
        model.save()
        if model.is_default:
            for other in form.questionnaire.structural_models.filter(is_default=True).exclude(
                pk=model.pk
            ):
                other.is_default = False
                other.save()
    return model


def start_survey_upload(questionnaire: Questionnaire | None, questionnaire_file, responses, user):
    """The upload page's import: queue a job the worker runs like `sqm import survey` (all or
    nothing); the responses are kept sealed until it ends (sqm.core.uploads). The
    questionnaire file (no personal data) travels as text in the job's options, and is
    checked and saved by the worker too. Returns the ImportJob."""
    from sqm.core import uploads
    from sqm.core.importing import jobs

    options: dict = {"questionnaire": questionnaire.code} if questionnaire else {}
    if questionnaire_file is not None:
        try:
            text = uploads.read_upload(questionnaire_file).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{questionnaire_file.name}: " + _("not UTF-8 text")) from None
        options = {"questionnaire_text": text, "questionnaire_name": questionnaire_file.name}
    return jobs.start_job(user, "survey", responses, dry_run=False, options=options)


def waves_of(questionnaire: Questionnaire) -> list[tuple[str, int]]:
    """(wave, responses) of a questionnaire, oldest first."""
    from django.db.models import Count

    rows = questionnaire.responses.values("wave").annotate(n=Count("pk")).order_by("wave")
    return [(r["wave"], r["n"]) for r in rows]


def start_analysis(questionnaire, structural_model, wave: str, options: Options, user):
    """Queue an analysis run; the worker picks it up once this transaction commits."""
    from dataclasses import asdict

    from django.utils import translation

    from sqm.surveys.models import AnalysisRun
    from sqm.surveys.tasks import run_analysis

    run = AnalysisRun.objects.create(
        questionnaire=questionnaire, structural_model=structural_model, wave=wave,
        options=asdict(options), created_by=user,
    )  # fmt: skip
    language = translation.get_language()
    transaction.on_commit(lambda: run_analysis(run.pk, language))
    return run


def do_run_analysis(run_id: int):
    """Run a queued analysis (the worker's side). Progress and the stage are written to the
    run row as it goes, so the page can poll them; the results or the error at the end."""
    from django.utils import timezone

    from sqm.surveys.choices import RunStatus
    from sqm.surveys.models import AnalysisRun

    claimed = AnalysisRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, stage=_("starting")
    )
    if not claimed:
        return None  # another worker has it, or it already ran
    run = AnalysisRun.objects.select_related("questionnaire", "structural_model").get(pk=run_id)

    def report(fraction: float, stage: str) -> None:
        AnalysisRun.objects.filter(pk=run_id).update(progress=fraction, stage=stage[:100])

    options = Options(**{k: v for k, v in run.options.items() if k in Options.__dataclass_fields__})
    try:
        results = run_csi(run.questionnaire, run.structural_model, run.wave, options, report)
    except InputError as exc:
        AnalysisRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=str(exc), finished=timezone.now()
        )
        return None
    AnalysisRun.objects.filter(pk=run_id).update(
        status=RunStatus.DONE, results=_json_safe(results), progress=1.0, stage=_("done"),
        finished=timezone.now(),
    )  # fmt: skip
    return AnalysisRun.objects.get(pk=run_id)


def _json_safe(value):
    """NaN and infinities become null: JSON has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value
