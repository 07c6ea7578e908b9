"""Full-text matching for a model's own lists, offered by whichever app indexes the model.

Core knows no domain app: the app that keeps a search index (sqm.knowledge) registers a
matcher per model, and a list (the work-order list's `q`) asks for it here. A matcher
turns the user's text into an SQL subquery of the matching ids, to be used inside the
list's own (already scoped) query; without one the list falls back to a substring match.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models.expressions import RawSQL

Matcher = Callable[[str], "tuple[str, list] | None"]
_matchers: dict[str, Matcher] = {}


def register(model_label: str, matcher: Matcher) -> None:
    _matchers[model_label] = matcher


def matching(model, text: str) -> RawSQL | None:
    """The ids of MODEL whose indexed text matches TEXT, as a subquery for `pk__in`; None
    when nothing indexes MODEL (or TEXT has nothing to search for)."""
    matcher = _matchers.get(model._meta.label)
    found = matcher(text) if matcher is not None else None
    return None if found is None else RawSQL(*found)
