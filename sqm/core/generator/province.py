"""Write a synthetic province: the mechanism behind `sqm generate` (see docs/generator.md).

The files themselves are written by the province parts the domain apps register
(`sqm.core.generator.parts`): customers and accounts (sqm/customers/province.py), topology and
alarms (sqm/network/province/), the complaint history (sqm/complaints/province/) and the
survey (sqm/surveys/province/). This module gives them what they share: the identity space of
the customers, random streams, file writers, the history window, the manifest.

Everything streams: the customers part makes one customer at a time, each with its accounts,
and the other parts see each customer or ONU as it is written (`Generation.listeners`).
Memory therefore stays flat however many customers are asked for.

Determinism: every random choice comes from `random.Random` streams seeded with a string
built from the seed and the stream's name (string seeds are hashed with SHA-512, not
`hash()`), and the calendar is pinned by `as_of` instead of today's date, so one seed always
gives the same bytes, whatever order the parts are set up in.
"""

from __future__ import annotations

import csv
import json
import os
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from math import lcm
from pathlib import Path
from typing import Any, Protocol, TextIO

from django.utils.translation import gettext as _

from sqm.core.generator.identity import MOBILE_SPACE, AffinePermutation, MobileNumbers
from sqm.core.generator.parts import ordered_parts
from sqm.core.province import CITIES

GENERATOR_VERSION = "1"
# The generated world's "today": ages, opening dates and (later) complaint months count back
# from it. Fixed so that output does not depend on the day the generator runs.
DEFAULT_AS_OF = date(2026, 6, 30)
# Months of history (complaints, alarms) before `as_of`, unless asked otherwise.
DEFAULT_MONTHS = 12

# Relative share of subscribers per city (roughly population, nudged by the local economy).
CITY_WEIGHTS: dict[str, int] = {
    "NJ": 120,
    "WX": 90,
    "XZ": 90,
    "CZ": 65,
    "SZ": 150,
    "NT": 80,
    "LYG": 45,
    "HA": 45,
    "YC": 70,
    "YZ": 45,
    "ZJ": 35,
    "TZ": 45,
    "SQ": 35,
}
# Long-distance area codes: broadband account numbers start with them (025…, 0512…).
AREA_CODES: dict[str, str] = {
    "NJ": "025",
    "WX": "0510",
    "XZ": "0516",
    "CZ": "0519",
    "SZ": "0512",
    "NT": "0513",
    "LYG": "0518",
    "HA": "0517",
    "YC": "0515",
    "YZ": "0514",
    "ZJ": "0511",
    "TZ": "0523",
    "SQ": "0527",
}

MIN_AGE, MAX_AGE = 18, 85
ID_SEQUENCES = 999  # the 3-digit order code 001–999; odd for men, even for women


@dataclass(frozen=True, slots=True)
class District:
    city_index: int
    city_code: str
    city: str
    division: str  # the city's 4-digit code
    code: str  # the district's 6-digit code
    name: str
    area_code: str


def pick(cum: tuple[tuple[float, object], ...], r: float):
    for bound, value in cum:
        if r < bound:
            return value
    return cum[-1][1]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class _IdentitySpace:
    """Customer sequence number → (district, birth date, order code), injectively.

    The slot space is cut into one range per district, sized by the district's share of
    subscribers; a seeded affine permutation of the sequence number picks the slot, so
    districts come out in proportion. Inside a district the offset is permuted again over
    all (birth date, order code) pairs, which no two customers of a district can share.
    """

    def __init__(self, rng: random.Random, as_of: date) -> None:
        self.districts: list[District] = []
        weights: list[int] = []
        per_city = lcm(*(len(c[3]) for c in CITIES))
        for index, (code, city, division, districts) in enumerate(CITIES):
            for district_code, district_name in districts:
                self.districts.append(
                    District(
                        index, code, city, division, district_code, district_name, AREA_CODES[code]
                    )
                )
                weights.append(CITY_WEIGHTS[code] * per_city // len(districts))
        self.first_birth = _years_before(as_of, MAX_AGE + 1).toordinal() + 1
        self.last_birth = _years_before(as_of, MIN_AGE).toordinal()
        self.slots_per_district = (self.last_birth - self.first_birth + 1) * ID_SEQUENCES
        heaviest = max(weights)
        self.starts: list[int] = []
        self.ends: list[int] = []
        total = 0
        for weight in weights:
            self.starts.append(total)
            total += self.slots_per_district * weight // heaviest
            self.ends.append(total)
        self.size = total
        self._pick = AffinePermutation(self.size, rng)
        self._inside = AffinePermutation(self.slots_per_district, rng)

    def __call__(self, i: int) -> tuple[District, int, int]:
        """District, birth date ordinal and order code (1–999) of customer number `i`."""
        j = self._pick(i)
        d = bisect_right(self.ends, j)
        day, order = divmod(self._inside(j - self.starts[d]), ID_SEQUENCES)
        return self.districts[d], self.first_birth + day, order + 1


def _capacity(identities: _IdentitySpace) -> int:
    # Each customer may use up to three mobile numbers (own line plus two family lines).
    return min(identities.size, MOBILE_SPACE // 3)


def max_customers(as_of: date = DEFAULT_AS_OF) -> int:
    """The largest province the number spaces can hold without reusing an ID or mobile."""
    return _capacity(_IdentitySpace(random.Random(0), as_of))


class FileWriter(Protocol):
    """What `generate_province` needs of a part's file: its data rows, commit and discard."""

    rows: int

    def commit(self) -> None: ...

    def discard(self) -> None: ...


class CsvWriter:
    """A CSV file written under a temporary name and moved into place when complete."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.file: TextIO = open(self.tmp, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self._writer = csv.writer(self.file, lineterminator="\n")
        self._writer.writerow(columns)
        self.rows = 0

    def writerow(self, row: list) -> None:
        self._writer.writerow(row)
        self.rows += 1

    def commit(self) -> None:
        self.file.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


class JsonLinesWriter:
    """A JSON Lines file written under a temporary name and moved into place when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.file: TextIO = open(self.tmp, "w", encoding="utf-8", newline="\n", buffering=1 << 20)
        self.rows = 0

    def write(self, record: dict) -> None:
        self.file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        self.file.write("\n")
        self.rows += 1

    def commit(self) -> None:
        self.file.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


def window_start(as_of: date, months: int) -> date:
    """`as_of` minus MONTHS calendar months (the day clipped to the month's length)."""
    index = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for day in (as_of.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def stream_key(seed: int, name: str) -> str:
    """The seed string of the random stream NAME (the same for a given seed, always)."""
    return f"sqm-generator/{GENERATOR_VERSION}/{seed}/{name}"


@dataclass
class Generation:
    """One run of `generate_province`, as the parts' generate steps see it.

    A part's generate step opens its files (`add_file`, `csv`), offers what other parts use
    (`provide`) or listens to their rows (`listeners`), and schedules its work: `run` steps
    run once every part is set up (in part order; the customers part's is the main loop),
    `finish` steps after all of them, before the files are moved into place.
    """

    out: Path
    customers: int
    seed: int
    as_of: date
    months: int
    options: dict[str, Any]
    identities: _IdentitySpace
    mobiles: MobileNumbers
    progress: bool = False
    files: dict[str, str] = field(default_factory=dict)  # kind → file name, of all parts
    writers: dict[str, FileWriter] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    _listeners: dict[str, list[Callable]] = field(default_factory=dict)
    _runs: list[Callable[[], None]] = field(default_factory=list)
    _finishes: list[Callable[[], None]] = field(default_factory=list)

    def stream(self, name: str) -> random.Random:
        return random.Random(stream_key(self.seed, name))

    def path(self, kind: str) -> Path:
        return self.out / self.files[kind]

    def add_file(self, kind: str, writer: FileWriter) -> FileWriter:
        self.writers[kind] = writer
        return writer

    def csv(self, kind: str, columns: tuple[str, ...]) -> CsvWriter:
        return self.add_file(kind, CsvWriter(self.path(kind), columns))

    def listeners(self, topic: str) -> list[Callable]:
        """The callbacks listening to TOPIC ("customer", "onu"); a part appends to it in its
        generate step, the part that makes the rows calls each of them per row."""
        return self._listeners.setdefault(topic, [])

    def provide(self, name: str, value: Any) -> None:
        self.services[name] = value

    def run(self, step: Callable[[], None]) -> None:
        self._runs.append(step)

    def finish(self, step: Callable[[], None]) -> None:
        self._finishes.append(step)


def generate_province(
    out: Path,
    customers: int,
    seed: int,
    months: int = DEFAULT_MONTHS,
    progress: bool = False,
    as_of: date = DEFAULT_AS_OF,
    **options: Any,
) -> dict[str, int]:
    """Write the files of every registered province part and manifest.json.

    `months` is the history window before `as_of` (complaints, alarms); the parts take the
    other OPTIONS (`alarm_days`, `survey_waves`, `survey_respondents`: docs/generator.md).
    Returns the number of data rows (lines) per kind of file written: {"customers": …,
    "accounts": …, "topology": …, "complaints": …, "alarms": …}; a part that writes nothing
    for the options given (no complaints with `months` 0) leaves its kind out. `progress`
    shows a bar on stderr when stderr is a terminal.
    """
    out = Path(out)
    parts = ordered_parts()
    defaults: dict[str, Any] = {}
    for part in parts:
        defaults.update(part.options)
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise TypeError(f"generate_province() got unexpected options: {', '.join(unknown)}")
    options = {**defaults, **options}
    if customers < 1:
        raise ValueError(_("The number of customers must be at least 1."))
    if months < 0:
        raise ValueError(_("The number of months must not be negative."))
    for part in parts:
        if part.check is not None:
            part.check(options)
    if out.exists() and not out.is_dir():
        raise ValueError(_("%(path)s exists and is not a directory.") % {"path": out})
    identity_rng = random.Random(stream_key(seed, "identity"))
    identities = _IdentitySpace(identity_rng, as_of)
    mobiles = MobileNumbers(identity_rng)
    limit = _capacity(identities)
    if customers > limit:
        raise ValueError(
            _("At most %(limit)s customers can be generated.") % {"limit": f"{limit:,}"}
        )
    out.mkdir(parents=True, exist_ok=True)

    generation = Generation(
        out, customers, seed, as_of, months, options, identities, mobiles, progress,
        files={kind: name for part in parts for kind, name in part.files.items()},
    )  # fmt: skip
    try:
        for part in parts:
            if part.generate is not None:
                part.generate(generation)
        for step in generation._runs:
            step()
        for step in generation._finishes:
            step()
    except BaseException:
        for writer in generation.writers.values():
            writer.discard()
        raise
    for writer in generation.writers.values():
        writer.commit()

    counts = {kind: writer.rows for kind, writer in generation.writers.items()}
    manifest = {
        **generation.manifest,
        "generator": "sqm generate",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "customers": customers,
        "months": months,
        "as_of": as_of.isoformat(),
        "files": {generation.files[kind]: rows for kind, rows in counts.items()},
    }
    manifest_tmp = out / "manifest.json.tmp"
    manifest_tmp.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    os.replace(manifest_tmp, out / "manifest.json")
    return counts
