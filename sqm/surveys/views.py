"""Survey pages: upload, questionnaire with its models, analysis runs and their results."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sqm.core import uploads
from sqm.core.decorators import permission_required
from sqm.surveys import exports, services
from sqm.surveys.choices import RunStatus
from sqm.surveys.csi import Options
from sqm.surveys.forms import RunForm, StructuralModelForm, UploadForm
from sqm.surveys.models import AnalysisRun, Questionnaire, StructuralModel


@uploads.sealing  # the responses are encrypted as they arrive; the worker reads them
@permission_required("surveys.view_questionnaire")
def questionnaire_list(request):
    form = None
    error = None
    if request.user.has_perm("surveys.add_response"):
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = services.start_survey_upload(
                    form.cleaned_data["questionnaire"],
                    form.cleaned_data["questionnaire_file"],
                    form.cleaned_data["responses"],
                    request.user,
                )
            except services.InputError as exc:
                error = str(exc)
            else:  # the worker checks and imports it; the job page follows its progress
                return redirect("core:import", pk=job.pk)
    questionnaires = Questionnaire.objects.annotate(n=Count("responses")).order_by("-created")
    return render(request, "surveys/questionnaire_list.html", {
        "form": form, "error": error, "questionnaires": questionnaires,
    })  # fmt: skip


@permission_required("surveys.view_questionnaire")
def questionnaire_detail(request, pk: int):
    questionnaire = get_object_or_404(Questionnaire, pk=pk)
    waves = services.waves_of(questionnaire)
    form = RunForm(request.POST or None, questionnaire=questionnaire, waves=[w for w, _n in waves])
    if request.method == "POST":
        if not request.user.has_perm("surveys.add_analysisrun"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            options = Options(bootstrap=data["bootstrap"], enter=data["enter"],
                              remove=data["remove"], grades=data["grades"])  # fmt: skip
            run = services.start_analysis(
                questionnaire, data["structural_model"], data["wave"], options, request.user
            )
            return redirect("surveys:run", pk=run.pk)
    return render(request, "surveys/questionnaire_detail.html", {
        "questionnaire": questionnaire, "items": questionnaire.items.all(), "waves": waves,
        "models": questionnaire.structural_models.all(), "form": form,
        "runs": questionnaire.runs.select_related("structural_model", "created_by")[:20],
        "responses": sum(n for _w, n in waves),
    })  # fmt: skip


@permission_required("surveys.change_structuralmodel")
def model_edit(request, pk: int, model_pk: int | None = None):
    questionnaire = get_object_or_404(Questionnaire, pk=pk)
    instance = None
    if model_pk is not None:
        instance = get_object_or_404(StructuralModel, pk=model_pk, questionnaire=questionnaire)
    form = StructuralModelForm(request.POST or None, instance=instance, questionnaire=questionnaire)
    if request.method == "POST" and form.is_valid():
        services.save_structural_model(form)
        messages.success(request, _("The model is saved."))
        return redirect("surveys:questionnaire", pk=questionnaire.pk)
    return render(request, "surveys/model_edit.html",
                  {"questionnaire": questionnaire, "form": form, "instance": instance})  # fmt: skip


@permission_required("surveys.view_analysisrun")
def run_detail(request, pk: int):
    run = get_object_or_404(AnalysisRun.objects.select_related("questionnaire"), pk=pk)
    running = run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
    context = {"run": run, "running": running, "percent": round(run.progress * 100)}
    if request.htmx and running:
        return render(request, "surveys/_run_status.html", context)
    if request.htmx:  # finished while the page polled: reload it whole
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    if run.status == RunStatus.DONE:
        context.update(exports.view_context(run))
    return render(request, "surveys/run_detail.html", context)


@permission_required("surveys.view_analysisrun")
def run_xlsx(request, pk: int):
    run = get_object_or_404(AnalysisRun, pk=pk, status=RunStatus.DONE)
    return exports.xlsx_response(run, request.user)


@permission_required("surveys.view_analysisrun")
def run_pdf(request, pk: int):
    from sqm.core.pdf import PdfError

    run = get_object_or_404(AnalysisRun, pk=pk, status=RunStatus.DONE)
    try:
        return exports.pdf_response(run, request.user)
    except PdfError as exc:
        messages.error(request, str(exc))
        return redirect("surveys:run", pk=run.pk)
