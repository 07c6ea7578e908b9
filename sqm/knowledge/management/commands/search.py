"""`sqm search QUERY`: the one search from the command line; `sqm search reindex`."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sqm.core.commands import BaseCommand
from sqm.core.progress import Progress
from sqm.knowledge import index, search
from sqm.knowledge.choices import SearchKind


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": text}) from error


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Search work orders, problems, articles and attachment text in Chinese, best "
            "first: every word of QUERY must be found. `sqm search reindex` cuts every record "
            "again (after a change of the user dictionary). See docs/search.md."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="+", metavar="QUERY",
                            help=_("the words to find (or: reindex)"))  # fmt: skip
        parser.add_argument("--kind", choices=SearchKind.values, action="append",
                            help=_("only this kind of record (may be repeated)"))  # fmt: skip
        parser.add_argument("--city", metavar="CODE", help=_("only this city (its code)"))
        parser.add_argument("--category", default="", help=_("only this category (its name)"))
        parser.add_argument("--state", default="", help=_("only records in this state"))
        parser.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD",
                            help=_("only records from this day"))  # fmt: skip
        parser.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD",
                            help=_("only records up to this day"))  # fmt: skip
        parser.add_argument("--as", dest="username", metavar="USER",
                            help=_("search as this user sees (their cities and roles); "
                                   "everything by default"))  # fmt: skip
        parser.add_argument("--limit", type=int, default=20, help=_("at most N hits (20)"))
        parser.add_argument("--json", action="store_true",
                            help=_("one JSON object per hit: kind, ref, title, snippet, "
                                   "score"))  # fmt: skip

    def handle(self, *args, **options) -> None:
        words = options["query"]
        if words == ["reindex"]:
            self._reindex(options["kind"])
            return
        if not 1 <= options["limit"] <= 1000:
            raise CommandError(_("--limit must be between 1 and 1000."))
        user = None
        if options["username"]:
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(_("No user %(name)s.") % {"name": options["username"]})
        city = None
        if options["city"]:
            from sqm.core.models import City

            city = City.objects.filter(code=options["city"]).first()
            if city is None:
                raise CommandError(_("No city with code %(code)s.") % {"code": options["city"]})
        filters = search.Filters(
            kinds=tuple(options["kind"] or ()),
            city=city.pk if city else None,
            category=options["category"],
            state=options["state"],
            date_from=options["date_from"],
            date_to=options["date_to"],
        )
        results = search.search(user, " ".join(words), filters, limit=options["limit"])
        for hit in results.hits:
            if options["json"]:
                line = json.dumps(hit.as_json(), ensure_ascii=False)
            else:
                line = f"{hit.kind}\t{hit.ref}\t{hit.score:.2f}\t{hit.title}"
            self.stdout.write(line)
        if not options["json"]:
            shown = f"{search.COUNT_CAP:,}+" if results.more else f"{results.total:,}"
            self.stderr.write(_("%(count)s found") % {"count": shown})

    def _reindex(self, kinds) -> None:
        bars: dict[str, Progress] = {}

        def progress(kind: str, done: int, total: int) -> None:
            bar = bars.setdefault(kind, Progress(total, kind))
            bar.update(done - bar.done)

        try:
            counts = index.reindex(kinds, progress=progress)
        finally:
            for bar in bars.values():
                bar.close()
        for kind, count in counts.items():
            self.stdout.write(_("%(kind)s: %(count)s indexed") % {"kind": kind, "count": count})
