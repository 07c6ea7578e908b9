"""Knowledge article pages: the list, one article (text, versions and their differences,
review actions), writing one (new, or from a solved problem)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqm.core.decorators import permission_required
from sqm.core.inputs import parse_whole
from sqm.core.views import paginate
from sqm.knowledge import articles
from sqm.knowledge.choices import ArticleState
from sqm.knowledge.models import Article, Problem

ACTION_LABELS = {
    "submit": gettext_lazy("Send for review"),
    "publish": gettext_lazy("Publish"),
    "return": gettext_lazy("Send back to the writer"),
    "expire": gettext_lazy("Withdraw (expire)"),
}


class TextForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("title"), max_length=120)
    script = forms.CharField(label=gettext_lazy("answer script"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    steps = forms.CharField(label=gettext_lazy("handling steps"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    body = forms.CharField(label=gettext_lazy("text (Markdown)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8}))  # fmt: skip


def visible_articles(user):
    """The articles USER may read: those of every city and those of one of USER's cities."""
    found = Article.objects.all()
    if not (user.is_superuser or getattr(user, "all_cities", False)):
        found = found.filter(Q(cities__isnull=True) | Q(cities__in=user.city_ids())).distinct()
    return found


@permission_required("knowledge.view_article")
def article_list(request):
    found = visible_articles(request.user).select_related("category", "owner")
    state = request.GET.get("state", "")
    if state in ArticleState.values:
        found = found.filter(state=state)
    return render(
        request,
        "knowledge/article_list.html",
        {"page": paginate(request, found.order_by("-last_updated", "-pk")),
         "states": ArticleState.choices, "state": state},
    )  # fmt: skip


@permission_required("knowledge.add_article")
def article_new(request):
    problem = None
    pk = parse_whole(request.GET.get("problem"), low=1)
    if pk is not None:
        problem = get_object_or_404(Problem.objects.restrict(request.user), pk=pk)
        if request.method == "POST":
            try:
                article = articles.from_problem(request.user, problem)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect(problem)
            return redirect(article)
    form = TextForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        article = articles.create_article(request.user, **form.cleaned_data)
        return redirect(article)
    return render(request, "knowledge/article_new.html", {"form": form, "problem": problem})


@permission_required("knowledge.view_article")
def article_detail(request, pk: int):
    article = get_object_or_404(visible_articles(request.user), pk=pk)
    user = request.user
    form = TextForm(
        request.POST if request.POST.get("do") == "save" else None,
        initial={name: getattr(article, name) for name in articles.TEXT_FIELDS},
    )
    if request.method == "POST":
        seen = parse_whole(request.POST.get("version"))
        if seen is not None and seen != article.version:
            messages.error(request, _("Article %(code)s was changed by someone else; reload it.")
                           % {"code": article.code})  # fmt: skip
            return redirect(article)
        do = request.POST.get("do", "")
        try:
            if do == "save":
                if not user.has_perm("knowledge.change_article"):
                    raise PermissionDenied
                if form.is_valid():
                    articles.save_text(user, article, **form.cleaned_data)
                    return redirect(article)
            elif do in articles.TRANSITIONS:
                articles.do_transition(user, article, do)
                return redirect(article)
            else:
                messages.error(request, _("Unknown action."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except articles.TransitionConflict as exc:
            messages.error(request, str(exc))
    versions = list(article.versions.select_related("saved_by").order_by("-number"))
    older = parse_whole(request.GET.get("from"), low=1)
    newer = parse_whole(request.GET.get("to"), low=1)
    changes = None
    if older and newer:
        try:
            changes = articles.diff(article, older, newer)
        except ValidationError:
            changes = None
    actions = [
        (action, ACTION_LABELS[action])
        for action, (sources, _target, permission) in articles.TRANSITIONS.items()
        if article.state in sources and user.has_perm(permission)
    ]
    return render(
        request,
        "knowledge/article_detail.html",
        {"article": article, "html": articles.render_markdown(article.body), "form": form,
         "versions": versions, "changes": changes, "older": older, "newer": newer,
         "actions": actions, "can_edit": user.has_perm("knowledge.change_article")
         and article.state != ArticleState.EXPIRED},
    )  # fmt: skip
