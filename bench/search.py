"""Search benchmark: the complaint history of a big province, indexed and searched (issue 14 §6).

    .venv/bin/python bench/search.py [--orders 1000000] [--customers 50000] [--runs 3]
        [--seed 1] [--database sqlite|postgres|both] [--quick] [--keep] [--home DIR]
        [--no-index] [--setup-only]

A child process with its own SQM_HOME (SQLite) or a fresh database on the server named by
SQM_DATABASE_URL (PostgreSQL; `--database` defaults to both when that is set) imports the
customers of a generated province and fills the work-order table with bench/complaints.py's
`fill` (one raw insert, COPY on PostgreSQL: no change log, so nothing is indexed yet). Each
order's description and reply are written by the complaint-history generator
(sqm.complaints.province.history: opener by channel, the category's core sentence with its
slots, details, noise from another category, demands, mood), for the order's category, so
the words are the ones the generated province really uses. Then, in the same run:

1. Indexing: `sqm.knowledge.index.reindex(["order"])` over every order, records/s.
2. Latency: a fixed set of 50 Chinese queries (QUERIES: words, single characters, phrases,
   Latin/digit mixes, traditional characters, two and three terms), each through
   `search.search(None, q, limit=10)`; one pass to warm up, then `--runs` passes, p50/p95.
   Target p95 < 50 ms. Baseline, timed the same way in the same run: the same queries as a
   `LIKE '%run%'` scan of the work orders' description (every run of every term ANDed,
   Django's `description__icontains`), the ten newest and the count up to 1,001, the two
   statements the service runs too.
3. Recall: recall@10 on a labelled set built from the generator's phrasings (each
   category's core sentences cut at slots and punctuation: the phrases of four or more
   characters only one category uses, and each phrase split at a word boundary as two
   terms). Relevant = the orders whose description contains the query's runs (LIKE);
   recall@10 = |top 10 ∩ relevant| / min(10, |relevant|). Also the share of the top 10 filed
   under the phrase's category.
4. Misses: for every query, the orders whose description LIKE finds and the search does not
   (`search.matching_sql`); the character grams should make that 0.

`--quick` is a smoke run (5,000 orders); `--keep` keeps the database and `--home DIR`
measures again on one kept (`--no-index` skips the reindex there; for PostgreSQL add
`--database postgres` with SQM_DATABASE_URL naming the kept database). `--setup-only`
writes the work orders, keeps the database and stops: `--home` then indexes and measures.
Figures are wall-clock on this machine; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from _child import log, run_child, start_province

# The fixed query set: (class, query). Every query is taken from words the generator uses.
QUERIES: tuple[tuple[str, str], ...] = (
    # two-character and other dictionary words
    ("word", "宽带"),
    ("word", "网速"),
    ("word", "退订"),
    ("word", "光猫"),
    ("word", "信号"),
    ("word", "话费"),
    ("word", "掉线"),
    ("word", "发票"),
    ("word", "套餐"),
    ("word", "营业厅"),
    ("word", "机顶盒"),
    ("word", "违约金"),
    ("word", "装维师傅"),
    ("word", "诈骗"),
    # single characters
    ("single character", "网"),
    ("single character", "卡"),
    ("single character", "慢"),
    ("single character", "退"),
    ("single character", "猫"),
    # phrases (one run of several words)
    ("phrase", "宽带断网"),
    ("phrase", "网速很慢"),
    ("phrase", "上不了网"),
    ("phrase", "经常掉线"),
    ("phrase", "看视频一直转圈"),
    ("phrase", "态度很差"),
    ("phrase", "垃圾短信"),
    ("phrase", "要求退还"),
    ("phrase", "重启光猫"),
    # Latin letters and digits, alone and mixed with Chinese
    ("mixed", "5G"),
    ("mixed", "10086"),
    ("mixed", "100M宽带"),
    ("mixed", "IPTV"),
    ("mixed", "VoLTE"),
    ("mixed", "CCTV5"),
    ("mixed", "691"),
    ("mixed", "139邮箱"),
    # traditional characters (the texts are simplified)
    ("traditional", "寬帶"),
    ("traditional", "網速"),
    ("traditional", "退訂"),
    ("traditional", "話費"),
    ("traditional", "機頂盒"),
    ("traditional", "營業廳"),
    # two and three terms
    ("terms", "宽带 掉线"),
    ("terms", "光猫 重启"),
    ("terms", "话费 退还"),
    ("terms", "5G 网速"),
    ("terms", "营业厅 态度"),
    ("terms", "退订 扣费"),
    ("terms", "宽带 晚上 网速"),
    ("terms", "信号 地下车库 电梯"),
)
assert len(QUERIES) == 50
COUNT_CAP = 1000  # the service counts this many hits and one more ("more than 1,000")
# Phrases of the labelled set: cut from the core sentences at slots and punctuation.
_CUT = re.compile(r"\{[a-z_]+\}|[，。：、,]")
_ALL_CJK = re.compile(r"[\u4e00-\u9fff]{4,10}")
LABELLED_PER_CATEGORY = 2


# --- the texts --------------------------------------------------------------------------------


class Texts:
    """Descriptions and replies as the complaint-history generator writes them, for a given
    category code: its own composition (sqm.complaints.province.history), fed with a record
    of the order's channel, category and demands, so no wording is copied here."""

    def __init__(self, seed: int) -> None:
        from datetime import date

        from sqm.complaints.province import history
        from sqm.core.province import CITIES

        self.h = history
        self.rng = random.Random(seed)
        self.stream = history.ComplaintHistory(self.rng, date.today(), 12, write=None)
        self.districts = {code: [name for _c, name in d] for code, _n, _div, d in CITIES}

    def write(self, code: str, channel: str, city_code: str, when: float, replied: bool):
        """(description, reply or None) of an order of category CODE."""
        h, r = self.h, self.rng.random
        if code not in self.stream.leaves:
            return None, None
        record = h._Record()
        record.code = code
        record.parent, record.need, _department = self.stream.leaves[code]
        record.channel = channel
        record.follow_up = r() < 0.1
        record.repeat_of = True if r() < 1 / 12 else None  # only tested for None
        record.new_install = code == "NQ.BB.04" and r() < 0.3
        record.demands = sorted(
            d for d, chance in h.DEMANDS.get(record.need, ()) if r() < chance
        ) or ["other"]
        names = self.districts.get(city_code) or ["城区"]
        district = SimpleNamespace(name=names[int(r() * len(names))])
        moment = datetime.fromtimestamp(when, UTC).replace(tzinfo=None)
        slots = h._Slots(self.stream, district, None, moment)
        description = self.stream._description(record, slots)
        reply = self.stream._reply(record, "done", slots) if replied else None
        return description, reply


def with_generated_texts(complaints_bench, seed: int) -> None:
    """Make bench/complaints.py's `order_row` write the generator's texts for each order's
    category (its 8 fixed sentences would make a search benchmark meaningless)."""
    texts = Texts(seed)
    plain = complaints_bench.order_row

    def order_row(world: dict, rng: random.Random, spec: tuple) -> dict:
        row = plain(world, rng, spec)
        category = world["cats"][spec[6]][0]
        city = world["cities"][spec[2]]
        description, reply = texts.write(
            category.code, row["channel"], city.code, spec[0], bool(row.get("reply"))
        )
        if description:
            row["description"] = description
            if reply:
                row["reply"] = reply
        return row

    complaints_bench.order_row = order_row


def labelled_queries(seed: int) -> list[dict]:
    """The labelled set: per category up to LABELLED_PER_CATEGORY phrases that only its core
    sentences use, each as one phrase and split at a word boundary as two terms."""
    from sqm.complaints.province import texts as T
    from sqm.knowledge import segment

    owners: dict[str, set[str]] = {}
    for code, sentences in T.CORE.items():
        for sentence in sentences:
            for piece in _CUT.split(sentence):
                if _ALL_CJK.fullmatch(piece):
                    owners.setdefault(piece, set()).add(code)
    rng = random.Random(seed)
    out = []
    for code in sorted(T.CORE):
        own = sorted(p for p, codes in owners.items() if codes == {code})
        for phrase in rng.sample(own, min(LABELLED_PER_CATEGORY, len(own))):
            out.append({"class": "labelled phrase", "query": phrase, "code": code})
            words = [w for w in segment.words(phrase) if len(w) > 1]
            # search-mode cuts overlap; take the first and the last word when they do not
            if len(words) >= 2 and phrase.find(words[0]) + len(words[0]) <= phrase.rfind(words[-1]):
                two = f"{words[0]} {words[-1]}"
                out.append({"class": "labelled two terms", "query": two, "code": code})
    return out


# --- the child: one database, fresh -----------------------------------------------------------


def child(data: Path, opts: dict) -> None:
    """Runs inside a fresh process (own SQM_HOME / database); prints one JSON line."""
    # Accounts too (start_province): the search looks a query up as an account number
    # first, and on an empty account table PostgreSQL plans that as a walk of every order.
    rng, out = start_province(data, opts)
    import complaints as complaints_bench
    from django.db import connection

    start = time.perf_counter()
    world = complaints_bench.make_world(rng, opts["users"])
    with_generated_texts(complaints_bench, opts["seed"])
    filled = complaints_bench.fill(world, rng, opts["orders"])
    out["orders"] = filled["rows"]
    out["fill_s"] = time.perf_counter() - start
    log(f"{connection.vendor}: {filled['rows']:,} work orders in {out['fill_s']:.0f} s")
    connection.close()
    (Path(os.environ["SQM_HOME"]) / "bench-search.json").write_text(json.dumps(out, default=str))
    if opts.get("setup_only"):
        print(json.dumps(out, default=str))
        return
    measured(out, opts)


def child_again(opts: dict) -> None:
    """`--home`: measure again on a database kept by an earlier run (its SQM_HOME)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    out = json.loads((Path(os.environ["SQM_HOME"]) / "bench-search.json").read_text())
    out["load_start"] = os.getloadavg()[0]
    measured(out, opts)


def measured(out: dict, opts: dict) -> None:
    """Index, then time, check and judge the queries; OUT printed as one JSON line."""
    import complaints as complaints_bench

    from sqm.knowledge import index
    from sqm.knowledge.models import SearchDocument

    if opts["index"] or not SearchDocument.objects.exists():
        out["load_index"] = os.getloadavg()[0]
        last = [0.0]

        def progress(kind: str, done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                log(f"  indexed {done:,} / {total:,}")

        log("reindex")
        start = time.perf_counter()
        counts = index.reindex(["order"], progress=progress)
        out["index_s"] = time.perf_counter() - start
        out["indexed"] = counts["order"]
        log(f"indexed {out['indexed']:,} in {out['index_s']:.0f} s")
    out["analyze_s"] = complaints_bench.analyze()
    out["db_mib"] = complaints_bench.database_mib()
    out["index_mib"] = index_mib()
    out["load_queries"] = os.getloadavg()[0]
    out.update(latency(opts["runs"]))
    labelled = labelled_queries(opts["seed"])
    out["recall"] = recall(labelled)
    out["misses"] = misses([{"class": c, "query": q} for c, q in QUERIES] + labelled)
    out["load_end"] = os.getloadavg()[0]
    print(json.dumps(out, default=str))


def index_mib() -> float | None:
    """Size of the search index (rows, FTS5 table / tsvector columns and GIN indexes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            try:
                cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'knowledge_search%'")
            except Exception:  # dbstat is compiled out of some SQLite builds
                return None
        else:
            cursor.execute("SELECT pg_total_relation_size('knowledge_searchdocument')")
        size = cursor.fetchone()[0]
    return size / 2**20 if size else None


def like_queryset(query: str):
    """The baseline: the work orders whose description contains every run of every term."""
    from sqm.complaints.models import WorkOrder
    from sqm.knowledge import segment

    queryset = WorkOrder.objects.all()
    for term in segment.terms(query):
        for run in term.runs:
            queryset = queryset.filter(description__icontains=run)
    return queryset


def like_search(query: str) -> tuple[list[int], int]:
    """What the service returns, the plain way: the ten newest and the count up to 1,001."""
    queryset = like_queryset(query)
    ids = list(queryset.order_by("-created", "-id").values_list("id", flat=True)[:10])
    total = len(queryset.values_list("id", flat=True)[: COUNT_CAP + 1])
    return ids, total


def latency(runs: int) -> dict:
    """p50/p95 of the service and the LIKE baseline over the fixed queries: a warm-up pass,
    then RUNS passes, the two taking turns query by query."""
    from sqm.knowledge import search

    timings: dict[str, list] = {"search": [], "like": []}
    warm: dict[str, list] = {"search": [], "like": []}
    per_query: dict[str, dict] = {}
    for n in range(runs + 1):
        log(f"queries, pass {n + 1} of {runs + 1}" + (" (warm-up)" if n == 0 else ""))
        for cls, query in QUERIES:
            start = time.perf_counter()
            results = search.search(None, query, limit=10)
            took_search = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            _ids, like_total = like_search(query)
            took_like = (time.perf_counter() - start) * 1000
            (warm if n == 0 else timings)["search"].append(took_search)
            (warm if n == 0 else timings)["like"].append(took_like)
            row = per_query.setdefault(
                query,
                {"class": cls, "search_ms": [], "like_ms": [], "total": results.total},
            )
            row["like_total"] = like_total
            if n:
                row["search_ms"].append(took_search)
                row["like_ms"].append(took_like)
    return {
        "search": percentiles(timings["search"]),
        "like": percentiles(timings["like"]),
        "search_warmup": percentiles(warm["search"]),
        "like_warmup": percentiles(warm["like"]),
        "per_query": per_query,
    }


def percentiles(samples: list[float]) -> dict:
    from complaints import percentiles as nearest_rank

    return nearest_rank(samples)


def recall(labelled: list[dict]) -> dict:
    """recall@10 and the share of the top 10 in the phrase's category, per class."""
    from sqm.complaints.models import Category
    from sqm.knowledge import search

    names = dict(Category.objects.values_list("code", "name"))
    by_class: dict[str, dict] = {}
    for item in labelled:
        hits = search.search(None, item["query"], limit=10).hits
        top = [h.object_id for h in hits]
        relevant = like_queryset(item["query"])
        found = relevant.filter(pk__in=top).count()
        wanted = min(10, len(relevant.values_list("id", flat=True)[:10]))
        row = by_class.setdefault(item["class"], {"queries": 0, "recall": [], "category": []})
        row["queries"] += 1
        if wanted:
            row["recall"].append(found / wanted)
        if hits:
            same = sum(h.category == names.get(item["code"]) for h in hits)
            row["category"].append(same / len(hits))
        if wanted and found < wanted:
            row.setdefault("below", []).append([item["query"], found, wanted])
    for row in by_class.values():
        row["mean_recall"] = statistics.fmean(row["recall"]) if row["recall"] else None
        row["judged"] = len(row.pop("recall"))
        cats = row.pop("category")
        row["mean_category"] = statistics.fmean(cats) if cats else None
    return by_class


def misses(items: list[dict]) -> dict:
    """Per class: the orders LIKE finds in the description, and those the search misses."""
    from django.db import connection

    from sqm.knowledge import search

    by_class: dict[str, dict] = {}
    for item in items:
        matching = search.matching_sql(item["query"], "order")
        like_sql, like_params = like_queryset(item["query"]).values("id").query.sql_with_params()
        row = by_class.setdefault(item["class"], {"queries": 0, "like": 0, "missed": 0})
        row["queries"] += 1
        if matching is None:
            continue
        sql, params = matching
        with connection.cursor() as cursor:
            # An anti-join, not `NOT IN (…)`: PostgreSQL hashes a join that outgrows
            # work_mem, but re-reads a subquery that does for every row.
            cursor.execute(
                "SELECT count(*), sum(CASE WHEN m.object_id IS NULL THEN 1 ELSE 0 END) "
                f"FROM ({like_sql}) w LEFT JOIN ({sql}) m ON m.object_id = w.id",
                [*like_params, *params],
            )
            found, missed = cursor.fetchone()
        row["like"] += found
        row["missed"] += missed or 0
        if missed:
            row.setdefault("examples", []).append([item["query"], missed, found])
    return by_class


# --- the parent -------------------------------------------------------------------------------


def report(r: dict) -> None:
    s, b = r["search"], r["like"]
    print()
    print(
        f"== {r['database']} {r['db_version']}: {r['orders']:,} work orders, "
        f"{r['customers']:,} customers; database {r['db_mib']:,.0f} MiB"
        + (f", search index {r['index_mib']:,.0f} MiB" if r.get("index_mib") else "")
    )
    print(
        f"   work orders written in {r['fill_s']:.0f} s, ANALYZE {r['analyze_s']:.1f} s "
        f"(set-up, not measured); {os.cpu_count()} CPUs, load average {r['load_start']:.1f} at "
        f"the start, {r.get('load_index', r['load_queries']):.1f} before indexing, "
        f"{r['load_queries']:.1f} before the queries, {r['load_end']:.1f} at the end"
    )
    rows = [("figure", "measured", "baseline (same run)", "target")]
    if "index_s" in r:
        rows.append(
            (
                "indexing, reindex(['order'])",
                f"{r['indexed'] / r['index_s']:,.0f} records/s",
                f"{r['indexed']:,} in {r['index_s']:.0f} s",
                "(none)",
            )
        )
    rows += [
        (
            f"50 queries × {s['n'] // 50}, p50 / p95",
            f"{s['p50']:.1f} / {s['p95']:.1f} ms",
            f"{b['p50']:.1f} / {b['p95']:.1f} ms LIKE scan",
            "p95 < 50 ms " + verdict(s["p95"] < 50),
        ),
        (
            "  slowest query, max",
            f"{s['max']:.1f} ms",
            f"{b['max']:.1f} ms",
            "",
        ),
        (
            "  warm-up pass, p50 / p95",
            f"{r['search_warmup']['p50']:.1f} / {r['search_warmup']['p95']:.1f} ms",
            f"{r['like_warmup']['p50']:.1f} / {r['like_warmup']['p95']:.1f} ms",
            "",
        ),
    ]
    for cls, row in r["recall"].items():
        value = "—" if row["mean_recall"] is None else f"{row['mean_recall']:.3f}"
        cat = "—" if row["mean_category"] is None else f"{row['mean_category']:.0%}"
        rows.append(
            (
                f"recall@10, {cls} ({row['judged']} queries)",
                value,
                f"top 10 in the category: {cat}",
                "(none)",
            )
        )
    for cls, row in r["misses"].items():
        rows.append(
            (
                f"LIKE hits the search misses, {cls} ({row['queries']} queries)",
                f"{row['missed']:,}",
                f"of {row['like']:,} LIKE hits",
                "0 " + verdict(row["missed"] == 0),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for cls, row in r["misses"].items():
        for query, missed, found in row.get("examples", [])[:5]:
            print(f"   missed ({cls}): {query!r}: {missed:,} of {found:,}")
    for cls, row in r["recall"].items():
        for query, found, wanted in row.get("below", [])[:5]:
            print(f"   recall below 1 ({cls}): {query!r}: {found} of {wanted}")
    print("   per query: search p50 / max ms, LIKE p50 / max ms, search hits (capped), LIKE hits")
    slow = sorted(r["per_query"].items(), key=lambda kv: -max(kv[1]["search_ms"]))
    for query, q in slow:
        print(
            f"     {q['class']:<16} {query:<14} {statistics.median(q['search_ms']):7.1f} /"
            f"{max(q['search_ms']):7.1f}   {statistics.median(q['like_ms']):8.1f} /"
            f"{max(q['like_ms']):8.1f}   {q['total']:>5}  {q['like_total']:>5}"
        )


def verdict(ok: bool) -> str:
    return "✓" if ok else "✗"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, help="work orders (default 1,000,000)")
    parser.add_argument("--customers", type=int, help="generated customers (default 50,000)")
    parser.add_argument("--users", type=int, default=200, help="staff for the work orders")
    parser.add_argument("--runs", type=int, default=3, help="timed passes over the queries")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres", "both"),
        help="default: both when SQM_DATABASE_URL is set, else sqlite",
    )
    parser.add_argument("--quick", action="store_true", help="5,000 orders: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the database for a look")
    parser.add_argument(
        "--home", type=Path, help="measure again on the SQLite database a --keep run kept there"
    )
    parser.add_argument(
        "--no-index", action="store_true", help="with --home: search the index as it is"
    )
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="only write the work orders and keep the database, for --home to index and time",
    )
    args = parser.parse_args()
    quick = args.quick
    opts = {
        "orders": args.orders or (5_000 if quick else 1_000_000),
        "users": min(args.users, 40) if quick else args.users,
        "runs": max(1, args.runs),
        "seed": args.seed,
        "index": not args.no_index,
        "setup_only": args.setup_only,
    }
    customers = args.customers or (1_000 if quick else 50_000)
    server = os.environ.pop("SQM_DATABASE_URL", None)
    database = args.database or ("both" if server else "sqlite")
    if database != "sqlite" and not server:
        parser.error("PostgreSQL needs SQM_DATABASE_URL (see scripts/pg-test-cluster.sh)")
    if args.home and database == "both":
        parser.error("--home measures one database: add --database sqlite or postgres")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    if args.home:
        env = {**os.environ, "SQM_HOME": str(args.home.resolve())}
        if database == "postgres":  # SQM_DATABASE_URL names the kept database itself
            env["SQM_DATABASE_URL"] = server
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        done = subprocess.run(
            [sys.executable, __file__, "_again", json.dumps(opts)],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        report(json.loads(done.stdout.strip().splitlines()[-1]))
        return
    data = Path(tempfile.mkdtemp(prefix="sqm-bench-search-data-"))
    scratch = Path(tempfile.mkdtemp(prefix="sqm-bench-search-gen-"))
    try:
        os.environ["SQM_HOME"] = str(scratch)
        import django

        django.setup()
        from sqm.core.generator import generate_province

        start = time.perf_counter()
        counts = generate_province(data, customers=customers, seed=args.seed, months=0)
        log(f"generate: {counts} in {time.perf_counter() - start:.1f} s")
        for db in ("sqlite", "postgres") if database == "both" else (database,):
            keep = args.keep or args.setup_only
            r = run_child(__file__, "search", db, [str(data), json.dumps(opts)], server, keep)
            if args.setup_only:
                print(f"{db}: {r['orders']:,} work orders written and kept (see the log)")
                continue
            report(r)  # as soon as it is there: a later failure keeps it
            sys.stdout.flush()
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    if args.setup_only:
        return
    print(
        "\nBaseline: the same 50 queries as a LIKE scan of the work orders' description (every "
        "run of every normalised term ANDed: Django's description__icontains), the ten newest "
        "and the count up to 1,001, timed the same way in the same run on the same database."
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(Path(sys.argv[2]), json.loads(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_again":
        child_again(json.loads(sys.argv[2]))
    else:
        main()
