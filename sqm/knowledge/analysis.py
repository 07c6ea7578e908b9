"""Complaint analysis for the problem loop (issue 14 §5, docs/problems.md "Hot topics and
clusters"): the words and phrases complaints are about in a period, the ones rising against
the period before, and clusters of similar work orders not yet in any problem.

The texts are cut as the category suggestion cuts them (complaints.textmining.tokenize:
jieba with the telecom dictionary, stop words and bare numbers out). Only the work orders the
user may see are read.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

MAX_ORDERS = 5000  # read per period: enough for a city's month, bounded for a province's
MAX_CLUSTERED = 1000  # the newest unlinked orders grouped: the pairwise similarity is n²
MIN_COUNT = 3  # a topic is said by at least this many work orders
CLUSTER_SIMILARITY = 0.45  # cosine of TF-IDF vectors to join a cluster
MIN_CLUSTER = 3


@dataclass
class Topic:
    text: str
    orders: int  # how many work orders of the period say it
    share: float  # of the period's work orders
    before: int  # in the period before, of the same length
    rise: float | None  # share now ÷ share before (None: new)
    score: float  # orders × idf: frequent here, not everywhere


@dataclass
class Cluster:
    orders: list  # the work orders, newest first
    words: list[str]  # what they share
    category: str


@dataclass
class Analysis:
    start: dt.date
    end: dt.date  # inclusive
    city: object
    orders: int
    topics: list[Topic] = field(default_factory=list)
    rising: list[Topic] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)


def _orders(user, start: dt.date, end: dt.date, city=None):
    from sqm.complaints.models import WorkOrder

    low = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    high = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    orders = WorkOrder.objects.restrict(user).filter(created__gte=low, created__lt=high)
    if city is not None:
        orders = orders.filter(city=city)
    return orders.select_related("category").order_by("-created", "-pk")


def _terms(tokens: list[str]) -> set[str]:
    """The words of a text and its two-word phrases (adjacent words, written together)."""
    terms = set(tokens)
    terms.update(a + b for a, b in zip(tokens, tokens[1:], strict=False) if a != b)
    return terms


def analyse(user, start: dt.date, end: dt.date, city=None, *, top: int = 20) -> Analysis:
    """Hot topics of the work orders created START–END (inclusive) in CITY (all the user's),
    those rising against the same length of time before, and the clusters of that period's
    orders not yet linked to a problem."""
    from sqm.complaints.textmining import tokenize

    days = (end - start).days + 1
    now = list(_orders(user, start, end, city)[:MAX_ORDERS])
    before = _orders(user, start - dt.timedelta(days=days), start - dt.timedelta(days=1), city)
    before_texts = list(before.values_list("description", flat=True)[:MAX_ORDERS])
    result = Analysis(start=start, end=end, city=city, orders=len(now))
    if not now:
        return result
    tokens = {o.pk: tokenize(o.description) for o in now}
    counts = Counter(t for o in now for t in _terms(tokens[o.pk]))
    earlier = Counter(t for text in before_texts for t in _terms(tokenize(text)))
    total = len(now) + len(before_texts)
    topics = []
    for text, n in counts.items():
        if n < MIN_COUNT:
            continue
        b = earlier.get(text, 0)
        share = n / len(now)
        rise = share / (b / len(before_texts)) if b and before_texts else None
        idf = math.log((1 + total) / (1 + n + b)) + 1
        topics.append(Topic(text, n, share, b, rise, n * idf))
    # A phrase said as often as its words stands for them: keep the phrase.
    topics.sort(key=lambda t: (-t.score, t.text))
    result.topics = _without_parts(topics)[:top]
    rising = [t for t in topics if t.rise is None or t.rise >= 1.5]
    rising.sort(key=lambda t: (-(t.rise or math.inf), -t.orders, t.text))
    result.rising = rising[:top]
    from sqm.knowledge.models import ProblemOrder

    linked = set(
        ProblemOrder.objects.filter(order_id__in=[o.pk for o in now]).values_list(
            "order_id", flat=True
        )
    )
    unlinked = [o for o in now if o.pk not in linked][:MAX_CLUSTERED]
    result.clusters = clusters(unlinked, tokens)
    return result


def _without_parts(topics: list[Topic]) -> list[Topic]:
    phrases = [t for t in topics if any(t.text != o.text and o.text in t.text for o in topics)]
    out = []
    for topic in topics:
        covered = any(
            topic.text in p.text and topic.text != p.text and p.orders >= topic.orders * 0.8
            for p in phrases
        )
        if not covered:
            out.append(topic)
    return out


def clusters(orders: list, tokens: dict[int, list[str]] | None = None) -> list[Cluster]:
    """Groups of similar ORDERS (TF-IDF cosine ≥ CLUSTER_SIMILARITY to a group's first
    order, greedily, newest first); groups of at least MIN_CLUSTER, largest first."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from sqm.complaints.textmining import tokenize

    tokens = tokens or {}
    texts = [" ".join(tokens.get(o.pk) or tokenize(o.description)) for o in orders]
    keep = [i for i, text in enumerate(texts) if text]
    if len(keep) < MIN_CLUSTER:
        return []
    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False)
    matrix = vectorizer.fit_transform([texts[i] for i in keep])
    words = vectorizer.get_feature_names_out()
    similarity = (matrix @ matrix.T).tocsr()
    taken: set[int] = set()
    groups = []
    for row in range(len(keep)):
        if row in taken:
            continue
        start, stop = similarity.indptr[row], similarity.indptr[row + 1]
        members = [
            int(col)
            for col, value in zip(
                similarity.indices[start:stop], similarity.data[start:stop], strict=True
            )
            if value >= CLUSTER_SIMILARITY and int(col) not in taken
        ]
        if row not in members:
            members.append(row)
        taken.update(members)
        if len(members) >= MIN_CLUSTER:
            weights = matrix[members].sum(axis=0).A1
            top = [words[i] for i in weights.argsort()[::-1][:5] if weights[i] > 0]
            picked = sorted(
                (orders[keep[m]] for m in members), key=lambda o: o.created, reverse=True
            )
            common = Counter(o.category.name for o in picked).most_common(1)[0][0]
            groups.append(Cluster(orders=picked, words=top, category=common))
    groups.sort(key=lambda g: -len(g.orders))
    return groups
