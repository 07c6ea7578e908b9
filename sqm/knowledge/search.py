"""The one search over work orders, problems, articles and attachment text (docs/search.md).

`search(user, query, …)` is what the header box, the results page, the API, `sqm search`
and the work-order list's `q` call. The user's kinds (by permission) and cities are part
of the SQL that matches, never a filter over the result list afterwards.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field

from django.db import connection

from sqm.knowledge import segment, sources
from sqm.knowledge.segment import Term

# Column weights of the ranking: a query word found as a dictionary word counts double.
WORDS_WEIGHT, GRAMS_WEIGHT = 2.0, 1.0
# Totals and facets count at most this many hits: enough to say "more than 1,000".
COUNT_CAP = 1000
SNIPPET_CHARS = 80


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    city: int | None = None
    category: str = ""
    state: str = ""
    handler: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass
class Hit:
    kind: str
    object_id: int
    ref: str
    title: str
    snippet: str  # HTML: the text escaped, the query's runs in <mark>
    score: float
    city_id: int | None
    category: str
    state: str
    happened: dt.datetime
    url: str = ""  # the record's page

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "title": self.title,
            "snippet": self.snippet,
            "score": round(self.score, 4),
        }


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # capped at COUNT_CAP + 1 ("more than")
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    page: int = 1  # of the results page

    @property
    def more(self) -> bool:
        return self.total > COUNT_CAP


def search(user, query: str, filters: Filters | None = None, *, limit=20, offset=0) -> Results:
    """The records USER may see that contain every term of QUERY, best first. USER None is
    the system (the command line): every kind, every city."""
    filters = filters or Filters()
    results = Results(query=query)
    terms = segment.terms(query)
    kinds = list(sources.SOURCES) if user is None else sources.kinds_for(user)
    if filters.kinds:
        kinds = [k for k in kinds if k in filters.kinds]
    if not terms or not kinds:
        return results
    scope_sql, scope_params = _scope(user, kinds, filters)
    backend = _SQLite() if connection.vendor == "sqlite" else _Postgres()
    match_from, match_where, match_params, rank, rank_params = backend.match(terms)
    exact = query.strip()
    # An exact reference, or a key naming records (an account number: its work orders),
    # comes first.
    named, named_params = [], []
    for kind in kinds:
        ids = sources.SOURCES[kind].exact(exact) if sources.SOURCES[kind].exact else []
        if ids:
            named.append(f"(d.kind = %s AND d.object_id IN ({', '.join(['%s'] * len(ids))}))")
            named_params += [kind, *ids]
    first = " OR ".join(["d.ref = %s", *named])
    sql = f"""
        SELECT d.id, d.kind, d.object_id, d.ref, d.title, d.body, {rank} AS score, d.city_id,
               d.category, d.state, d.happened, CASE WHEN {first} THEN 0 ELSE 1 END AS exact
        {match_from}
        WHERE {match_where} AND {scope_sql}
        ORDER BY exact, score DESC, d.happened DESC, d.id DESC
        LIMIT %s OFFSET %s
    """
    params = [*rank_params, exact, *named_params, *match_params, *scope_params]
    params += [int(limit), int(offset)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        matched = f"{match_from} WHERE {match_where} AND {scope_sql}"
        cursor.execute(
            f"SELECT d.kind, d.city_id, d.state {matched} LIMIT %s",
            [*match_params, *scope_params, COUNT_CAP + 1],
        )
        counted = cursor.fetchall()
    results.total = len(counted)
    results.facets = {
        "kind": _facet(row[0] for row in counted),
        "city": _facet(str(row[1]) for row in counted if row[1] is not None),
        "state": _facet(row[2] for row in counted if row[2]),
    }
    for _pk, kind, object_id, ref, title, body, score, city, category, state, happened, _x in rows:
        happened = _aware(happened)
        results.hits.append(
            Hit(
                kind=kind,
                object_id=object_id,
                ref=ref,
                title=title,
                snippet=snippet(body or title, terms),
                score=float(score or 0),
                city_id=city,
                category=category,
                state=state,
                happened=happened,
            )
        )
    # Each kind's pages in one go (an attachment's is its work order's: one query).
    for kind in {hit.kind for hit in results.hits}:
        hits = [hit for hit in results.hits if hit.kind == kind]
        urls = sources.SOURCES[kind].urls([hit.object_id for hit in hits])
        for hit in hits:
            hit.url = urls.get(hit.object_id, "")
    return results


def matching_sql(query: str, kind: str) -> tuple[str, list] | None:
    """The ids of the KIND records that contain every term of QUERY, as SQL and parameters
    for a subquery (the work-order list's `q`: its own scoping and order apply); None when
    QUERY has nothing to search for."""
    terms = segment.terms(query)
    if not terms:
        return None
    backend = _SQLite() if connection.vendor == "sqlite" else _Postgres()
    match_from, match_where, match_params, _rank, _rank_params = backend.match(terms)
    sql = f"SELECT d.object_id {match_from} WHERE {match_where} AND d.kind = %s"
    return sql, [*match_params, kind]


def _aware(value):
    """A time from the raw cursor as an aware one: SQLite hands back its stored UTC text or
    a naive UTC datetime, PostgreSQL an aware datetime."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _facet(values) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _scope(user, kinds: list[str], filters: Filters) -> tuple[str, list]:
    """The WHERE of what USER may find with FILTERS: kinds, cities, and the filters."""
    parts = [f"d.kind IN ({', '.join(['%s'] * len(kinds))})"]
    params: list = list(kinds)
    if user is not None and not (user.is_superuser or getattr(user, "all_cities", False)):
        cities = sorted(user.city_ids())
        if cities:
            parts.append(f"(d.city_id IS NULL OR d.city_id IN ({', '.join(['%s'] * len(cities))}))")
            params += cities
        else:
            parts.append("d.city_id IS NULL")
    for column, value in (
        ("d.city_id", filters.city),
        ("d.category", filters.category),
        ("d.state", filters.state),
        ("d.handler", filters.handler),
    ):
        if value:
            parts.append(f"{column} = %s")
            params.append(value)
    if filters.date_from:
        parts.append("d.happened >= %s")
        params.append(_start_of(filters.date_from))
    if filters.date_to:
        parts.append("d.happened < %s")
        params.append(_start_of(filters.date_to + dt.timedelta(days=1)))
    return " AND ".join(parts), params


def _start_of(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _is_cjk(run: str) -> bool:
    return run[0] > "z"


class _SQLite:
    """Stock FTS5: the grams as phrases and prefixes, ranked by its bm25()."""

    def match(self, terms: list[Term]):
        expression = " AND ".join(self._term(t) for t in terms)
        match_from = "FROM knowledge_search_fts f JOIN knowledge_searchdocument d ON d.id = f.rowid"
        # bm25() is lower for better hits: negated, so that higher is better on both.
        rank = f"-bm25(knowledge_search_fts, {WORDS_WEIGHT}, {GRAMS_WEIGHT})"
        return match_from, "knowledge_search_fts MATCH %s", [expression], rank, []

    @staticmethod
    def _run(run: str) -> str:
        if _is_cjk(run) and len(run) > 1:
            return '"' + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + '"'
        return f'"{run}"*'  # one character starts a gram; a Latin/digit run starts a token

    def _term(self, term: Term) -> str:
        grams = "grams : (" + " AND ".join(self._run(r) for r in term.runs) + ")"
        if term.word:  # where it stands as a word it is also found there, and ranks higher
            return f'({grams} OR words : "{term.word}")'
        return f"({grams})"


class _Postgres:
    """Stock tsvector (`simple`) + GIN over the same grams and words."""

    def match(self, terms: list[Term]):
        parts, params = [], []
        grams_all, words_all = [], []
        for term in terms:
            grams = " & ".join(self._run(r) for r in term.runs)
            grams_all.append(f"({grams})")
            if term.word:
                parts.append("(d.grams_tsv @@ %s::tsquery OR d.words_tsv @@ %s::tsquery)")
                params += [grams, f"'{term.word}'"]
                words_all.append(f"'{term.word}'")
            else:
                parts.append("d.grams_tsv @@ %s::tsquery")
                params.append(grams)
        rank = f"{GRAMS_WEIGHT} * ts_rank(d.grams_tsv, %s::tsquery)"
        rank_params = [" & ".join(grams_all)]
        if words_all:
            rank = f"({rank} + {WORDS_WEIGHT} * ts_rank(d.words_tsv, %s::tsquery))"
            rank_params.append(" | ".join(words_all))
        where = "(" + " AND ".join(parts) + ")"
        return "FROM knowledge_searchdocument d", where, params, rank, rank_params

    @staticmethod
    def _run(run: str) -> str:
        if _is_cjk(run) and len(run) > 1:
            return " <-> ".join(f"'{run[i : i + 2]}'" for i in range(len(run) - 1))
        return f"'{run}':*"


def snippet(text: str, terms: list[Term], width: int = SNIPPET_CHARS) -> str:
    """A piece of TEXT around its first hit, escaped, every term's runs in <mark>."""
    normal = segment.normalise(text)
    if len(normal) != len(text):  # a fold changed the length: show the normalised text
        text = normal
    runs = sorted({r for t in terms for r in t.runs}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(r) for r in runs)) if runs else None
    first = pattern.search(normal) if pattern else None
    start = max(0, (first.start() if first else 0) - width // 4)
    end = min(len(text), start + width)
    pieces, at = [], start
    for found in pattern.finditer(normal, start, end) if pattern else ():
        pieces.append(html.escape(text[at : found.start()]))
        pieces.append(f"<mark>{html.escape(text[found.start() : found.end()])}</mark>")
        at = found.end()
    pieces.append(html.escape(text[at:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + "".join(pieces).replace("\n", " ") + suffix
