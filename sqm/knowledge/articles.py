"""Knowledge articles (知识点 / 解释口径, docs/problems.md "Articles"): written, reviewed,
published and expired; every save of the text a version; made from a solved problem; offered
to agents for the complaint in front of them.

Each action checks the permission, writes in one transaction and the change log (which keeps
the search index current); state changes are guarded updates like the problems'.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from sqm.core import changelog, context
from sqm.knowledge.choices import ArticleState as S
from sqm.knowledge.choices import ProblemAction, ProblemState
from sqm.knowledge.models import Article, ArticleVersion, Problem, ProblemEvent

TEXT_FIELDS = ("title", "body", "script", "steps")
# action -> (the states it starts from, the state it leads to, the permission it needs)
TRANSITIONS = {
    "submit": ((S.DRAFT,), S.IN_REVIEW, "knowledge.change_article"),
    "publish": ((S.IN_REVIEW,), S.PUBLISHED, "knowledge.publish_article"),
    "return": ((S.IN_REVIEW,), S.DRAFT, "knowledge.publish_article"),
    "expire": ((S.PUBLISHED,), S.EXPIRED, "knowledge.publish_article"),
}
REMIND_DAYS = 7


class TransitionConflict(Exception):
    """Someone changed the article since it was read."""


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(_("Your role may not do this with knowledge articles."))


def _version(user, article: Article) -> None:
    ArticleVersion.objects.create(
        article=article, number=article.version, saved_by=user,
        **{name: getattr(article, name) for name in TEXT_FIELDS},
    )  # fmt: skip


def create_article(user, *, title: str, cities: Iterable = (), problem=None, **fields) -> Article:
    """A new draft article with its first version."""
    _require(user, "knowledge.add_article")
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the article a title."))
    _check_dates(fields.get("valid_from"), fields.get("valid_until"))
    with transaction.atomic(), context.acting_as(user):
        owner = fields.pop("owner", None) or user
        article = Article(
            code=f"TMP-{timezone.now().timestamp()}", title=title[:120], owner=owner,
            problem=problem, **fields,
        )  # fmt: skip
        article._log_later = True
        article.save(force_insert=True)
        article.code = f"ZS{timezone.localdate():%Y%m%d}{article.pk:05d}"
        Article.objects.filter(pk=article.pk).update(code=article.code)
        article.cities.set(list(cities))
        changelog.record_bulk([article], "create")
        _version(user, article)
    return article


def _check_dates(valid_from, valid_until) -> None:
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError(_("An article cannot end before it begins."))


def from_problem(user, problem: Problem) -> Article:
    """A draft article from a solved PROBLEM: its title, symptom and cause filled in, filed
    under its module, for its city; linked both ways (the problem's timeline says so)."""
    if problem.state not in (ProblemState.SOLVED, ProblemState.ARCHIVED):
        raise ValidationError(_("Only a solved problem becomes an article."))
    body = _("## Symptom\n\n%(symptom)s\n\n## Cause\n\n%(cause)s") % {
        "symptom": problem.symptom, "cause": problem.root_cause,
    }  # fmt: skip
    article = create_article(
        user, title=problem.title, body=body, category=problem.module, problem=problem,
        cities=[problem.city] if problem.city_id else [],
    )  # fmt: skip
    ProblemEvent.objects.create(
        problem=problem, user=user, action=ProblemAction.NOTE,
        note=_("Article %(code)s written from it.") % {"code": article.code},
    )  # fmt: skip
    return article


def save_text(user, article: Article, **text) -> Article:
    """A new version of the text; a published article goes back to review with it."""
    _require(user, "knowledge.change_article")
    unknown = set(text) - set(TEXT_FIELDS)
    if unknown:
        raise ValidationError(_("These cannot be edited: %(names)s") % {"names": sorted(unknown)})
    if article.state == S.EXPIRED:
        raise ValidationError(_("An expired article is not edited; write a new one."))
    changes = {k: v.strip() for k, v in text.items() if v.strip() != getattr(article, k)}
    if not changes:
        return article
    if not changes.get("title", article.title):
        raise ValidationError(_("Give the article a title."))
    state = S.IN_REVIEW if article.state == S.PUBLISHED else article.state
    with transaction.atomic(), context.acting_as(user):
        before = changelog.snapshot(article)
        won = Article.objects.filter(
            pk=article.pk, version=article.version, state=article.state
        ).update(**changes, state=state, version=F("version") + 1, last_updated=timezone.now())
        if not won:
            raise TransitionConflict(
                _("Article %(code)s was changed by someone else; reload it.")
                % {"code": article.code}
            )
        article.refresh_from_db()
        changelog.record_bulk([article], "update", {article.pk: before})
        _version(user, article)
    return article


def do_transition(user, article: Article, action: str) -> Article:
    step = TRANSITIONS.get(action)
    if step is None:
        raise ValidationError(_("Unknown action %(action)s.") % {"action": action})
    sources, target, permission = step
    _require(user, permission)
    if article.state not in sources:
        raise ValidationError(
            _("An article that is %(state)s cannot go to %(target)s.")
            % {"state": article.get_state_display(), "target": S(target).label}
        )
    with transaction.atomic(), context.acting_as(user):
        before = changelog.snapshot(article)
        won = Article.objects.filter(
            pk=article.pk, state=article.state, version=article.version
        ).update(state=target, last_updated=timezone.now())
        if not won:
            raise TransitionConflict(
                _("Article %(code)s was changed by someone else; reload it.")
                % {"code": article.code}
            )
        article.refresh_from_db()
        changelog.record_bulk([article], "update", {article.pk: before})
    return article


def expire_due(today: dt.date | None = None) -> int:
    """Expire the published articles whose validity ended before TODAY (the worker, daily)."""
    today = today or timezone.localdate()
    due = list(Article.objects.filter(state=S.PUBLISHED, valid_until__lt=today))
    with transaction.atomic():
        for article in due:
            before = changelog.snapshot(article)
            Article.objects.filter(pk=article.pk, state=S.PUBLISHED).update(
                state=S.EXPIRED, last_updated=timezone.now()
            )
            article.refresh_from_db()
            changelog.record_bulk([article], "update", {article.pk: before})
    return len(due)


def remind_expiring(today: dt.date | None = None, days: int = REMIND_DAYS) -> int:
    """Tell the owners of published articles that end within DAYS, once per article."""
    from sqm.core.notifications import notify

    today = today or timezone.localdate()
    soon = Article.objects.filter(
        state=S.PUBLISHED, valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=days)
    ).filter(Q(reminded__isnull=True) | Q(reminded__lt=today - dt.timedelta(days=days)))
    count = 0
    for article in soon.select_related("owner"):
        params = {"code": article.code, "until": article.valid_until.isoformat()}
        notify([article.owner], "article_expiring", article.get_absolute_url(), params)
        Article.objects.filter(pk=article.pk).update(reminded=today)
        count += 1
    return count


def diff(article: Article, older: int, newer: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """What changed between two versions: per text field, its lines marked ' ', '-' or '+'."""
    versions = {v.number: v for v in article.versions.filter(number__in=[older, newer])}
    if older not in versions or newer not in versions:
        raise ValidationError(_("No such version."))
    out = []
    for name in TEXT_FIELDS:
        a = getattr(versions[older], name).splitlines()
        b = getattr(versions[newer], name).splitlines()
        if a == b:
            continue
        lines = [(line[0], line[2:]) for line in difflib.ndiff(a, b) if line[:1] in " -+"]
        out.append((name, lines))
    return out


SUGGEST_WORDS = 12


def keywords(text: str) -> list[str]:
    """The words of TEXT worth looking up: dictionary words of two or more characters (or
    Latin/digit words), without stop words, the longest first, at most SUGGEST_WORDS."""
    from sqm.complaints.textmining import _get_segmenter
    from sqm.knowledge import segment

    stop = _get_segmenter().stop_words
    seen = dict.fromkeys(
        w for w in segment.words(segment.normalise(text)) if len(w) > 1 and w not in stop
        and not w.isdigit()
    )  # fmt: skip
    return sorted(seen, key=len, reverse=True)[:SUGGEST_WORDS]


SUGGEST_CANDIDATES = 2000  # published articles weighed per suggestion, the newest first


def suggest(user, text: str, category=None, *, limit: int = 3) -> list[Article]:
    """The published, valid articles USER may read that share the most keywords with a
    complaint's TEXT, those of its CATEGORY (or its module) first.

    Weighed over the few published articles themselves, not through the full-text index:
    there a common keyword (宽带) matches every work order too, and this runs on every order
    page and as the agent types."""
    from sqm.knowledge import segment

    words = keywords(text)
    if not words:
        return []
    today = timezone.localdate()
    candidates = (
        Article.objects.filter(state=S.PUBLISHED)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )
    if not (user.is_superuser or getattr(user, "all_cities", False)):
        candidates = candidates.filter(
            Q(cities__isnull=True) | Q(cities__in=user.city_ids())
        ).distinct()
    candidates = candidates.select_related("category").order_by("-last_updated", "-pk")
    related = {category.pk, category.parent_id} if category is not None else set()
    scored = []
    for article in candidates[:SUGGEST_CANDIDATES]:
        article_text = segment.normalise(
            " ".join((article.title, article.script, article.body, article.steps))
        )
        score = sum(1 for word in words if word in article_text)
        if score:
            scored.append((article.category_id not in related, -score, len(scored), article))
    return [article for *_key, article in sorted(scored)[:limit]]


def render_markdown(text: str) -> SafeString:
    """TEXT as HTML: Markdown without raw HTML, links only to safe schemes."""
    from markdown_it import MarkdownIt

    return mark_safe(MarkdownIt("commonmark", {"html": False}).render(text or ""))  # noqa: S308


def _expiring_notice(params: dict) -> str:
    return _("Knowledge article %(code)s expires on %(until)s: renew or let it expire.") % params


def register() -> None:
    from sqm.core import notifications

    notifications.register("article_expiring", _expiring_notice)
