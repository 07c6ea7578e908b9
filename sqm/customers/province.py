"""The customers' part of the generated province: customers.csv and accounts.csv.

Its generate step is the main loop of `sqm generate`: one customer at a time with its
accounts; each broadband account takes the next ONU of its district's plant from the
topology part (the "allocate_onu" service), and the parts listening to "customer" (the
complaint history) see each customer with its account rows right after they are written.
The demo loads both files with `sqm import` (after the topology: accounts name their ONU).
See docs/generator.md ("Customers", "Accounts").
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from django.utils.translation import gettext as _

from sqm.core.formats import ACCOUNT_COLUMNS, CUSTOMER_COLUMNS
from sqm.core.generator import names
from sqm.core.generator.identity import ID_CHECK_MAP, ID_WEIGHTS
from sqm.core.generator.parts import ProvincePart, register_part
from sqm.core.generator.province import CITY_WEIGHTS, MIN_AGE, District, Generation, pick
from sqm.core.progress import Progress

GROUP_SHARE = 0.05
TIER_CUM = ((0.80, "normal"), (0.92, "silver"), (0.98, "gold"), (1.0, "diamond"))
MARKETING_CONSENT_SHARE = 0.40
SMS_OPT_OUT_SHARE = 0.03
STATUS_CUM = ((0.93, "active"), (0.97, "suspended"), (1.0, "closed"))
BROADBAND_SHARE = {"public": 0.61, "group": 0.45}
SECOND_BROADBAND_SHARE = 0.015
IPTV_SHARE = 0.20  # of broadband accounts
MOBILE_SHARE = {"public": 0.66, "group": 0.50}
EXTRA_MOBILE_LINES = ((0.93, 0), (0.99, 1), (1.0, 2))  # extra family lines of a mobile customer
# Dedicated lines: mostly for group customers.
DEDICATED_SHARE = {
    "group": (("dedicated_internet", 0.35), ("dedicated_data", 0.20), ("dedicated_voice", 0.15)),
    "public": (
        ("dedicated_internet", 0.002),
        ("dedicated_data", 0.0005),
        ("dedicated_voice", 0.0005),
    ),
}
DEDICATED_LETTERS = {"dedicated_internet": "I", "dedicated_data": "D", "dedicated_voice": "V"}
BANDWIDTHS: dict[str, tuple[tuple[float, int], ...]] = {
    "broadband": ((0.15, 100), (0.45, 200), (0.70, 300), (0.90, 500), (1.0, 1000)),
    "dedicated_internet": ((0.20, 50), (0.50, 100), (0.75, 200), (0.90, 500), (1.0, 1000)),
    "dedicated_data": ((0.25, 10), (0.50, 20), (0.75, 50), (0.95, 100), (1.0, 1000)),
    "dedicated_voice": ((0.80, 2), (1.0, 10)),
}
OPENED_WITHIN_DAYS = 8 * 365


def generate(generation: Generation) -> None:
    """Open customers.csv and accounts.csv; the loop runs once every part is set up."""
    customers = generation.csv("customers", CUSTOMER_COLUMNS)
    accounts = generation.csv("accounts", ACCOUNT_COLUMNS)
    listening = generation.listeners("customer")

    def loop() -> None:
        complain = None
        if len(listening) == 1:
            complain = listening[0]
        elif listening:

            def complain(*customer) -> None:
                for listen in listening:
                    listen(*customer)

        bar = Progress(generation.customers, _("customers"), enabled=generation.progress)
        _write_customers(
            generation.customers,
            generation.stream("customers"),
            generation.identities,
            generation.mobiles,
            generation.services["allocate_onu"],
            customers.writerow,
            accounts.writerow,
            generation.as_of,
            bar.update,
            generation.identities.districts,
            complain,
        )
        bar.close()

    generation.run(loop)


def load_demo(load) -> None:
    """Import the customers, then their accounts (one audited import each, no change log)."""
    load.import_file("customers")
    load.import_file("accounts")


def register() -> None:
    register_part(
        ProvincePart(
            name="customers",
            depends_on=("topology",),
            files={"customers": "customers.csv", "accounts": "accounts.csv"},
            generate=generate,
            load_demo=load_demo,
            legacy_marker=".imported",
        )
    )


def _write_customers(
    total: int,
    rng: random.Random,
    identities: Callable[[int], tuple[District, int, int]],
    mobiles: Callable[[int], str],
    allocate_onu: Callable[[int, str, str, str], str],
    write_customer: Callable[[list], None],
    write_account: Callable[[list], None],
    as_of: date,
    advance: Callable[[int], None],
    districts: list[District],
    complain: Callable[..., None] | None = None,
) -> None:
    """The main loop: one customer and its accounts per step (kept flat for speed).

    COMPLAIN, when given, receives each customer with its account rows (for the complaint
    history) right after they are written.
    """
    random_ = rng.random
    fromordinal = date.fromordinal
    as_of_ordinal = as_of.toordinal()
    adult_days = 365 * MIN_AGE + MIN_AGE // 4
    customer_counters = dict.fromkeys(CITY_WEIGHTS, 0)
    broadband_counters = dict.fromkeys(CITY_WEIGHTS, 0)
    dedicated_counters = dict.fromkeys(DEDICATED_LETTERS, 0)
    mobile_counters = dict.fromkeys(CITY_WEIGHTS, 0)
    birth_cutoff = date(1980, 1, 1).toordinal()
    # The GB 11643 weighted sum splits into district, birth-date and order-code parts;
    # each part takes few values, so they are computed once (the date table is bounded by
    # the ~25,000 possible birth dates, so memory stays flat).
    weights = ID_WEIGHTS
    check_map = ID_CHECK_MAP

    def weighted(digits: str, part: tuple[int, ...]) -> int:
        return sum(int(c) * w for c, w in zip(digits, part, strict=True))

    district_sums = {d.code: weighted(d.code, weights[:6]) for d in districts}
    order_parts = [(f"{n:03d}", weighted(f"{n:03d}", weights[14:17])) for n in range(1000)]
    birth_parts: dict[int, tuple[str, int]] = {}

    def opened_at(max_days: int) -> tuple[str, int]:
        days_back = int(random_() * (max_days + 1))
        seconds = 8 * 3600 + int(random_() * 13 * 3600)  # opened in business hours
        hour, rest = divmod(seconds, 3600)
        day = fromordinal(as_of_ordinal - days_back).isoformat()
        return f"{day}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}+08:00", days_back

    def status() -> str:
        return pick(STATUS_CUM, random_())

    held: list[list] = []  # this customer's account rows, for the complaint history
    if complain is not None:
        write_account_row = write_account

        def write_account(row: list) -> None:
            write_account_row(row)
            held.append(row)

    for i in range(total):
        district, birth_ordinal, order = identities(i)
        city_code = district.city_code
        city = district.city
        birth_part = birth_parts.get(birth_ordinal)
        if birth_part is None:
            birth = fromordinal(birth_ordinal).strftime("%Y%m%d")
            birth_part = birth_parts[birth_ordinal] = (birth, weighted(birth, weights[6:14]))
        birth, birth_sum = birth_part
        order_code, order_sum = order_parts[order]
        total_weight = district_sums[district.code] + birth_sum + order_sum
        id_number = f"{district.code}{birth}{order_code}{check_map[total_weight % 11]}"

        customer_counters[city_code] += 1
        customer_id = f"C{district.division}{customer_counters[city_code]:08d}"
        mobile = mobiles(i)
        kind = "group" if random_() < GROUP_SHARE else "public"
        if kind == "group":
            name = names.company_name(rng, city)
            address = names.business_address(rng, city, district.name)
        else:
            name = names.person_name(rng, order % 2 == 0, birth_ordinal < birth_cutoff)
            address = names.home_address(rng, city, district.name)
        tier = pick(TIER_CUM, random_())
        write_customer(
            [
                customer_id,
                name,
                mobile,
                id_number,
                kind,
                tier,
                city,
                district.name,
                1 if random_() < MARKETING_CONSENT_SHARE else 0,
                1 if random_() < SMS_OPT_OUT_SHARE else 0,
                address,
            ]
        )

        # Accounts can only have been opened since the customer came of age.
        max_days = max(0, min(OPENED_WITHIN_DAYS, as_of_ordinal - birth_ordinal - adult_days))
        accounts = 0
        if random_() < BROADBAND_SHARE[kind]:
            lines = 2 if random_() < SECOND_BROADBAND_SHARE else 1
            for line in range(lines):
                broadband_counters[city_code] += 1
                account_id = f"{district.area_code}{broadband_counters[city_code]:08d}"
                where = (
                    address
                    if line == 0
                    else names.home_address(rng, city, district.name)  # a second home
                )
                when, days_back = opened_at(max_days)
                onu_id = allocate_onu(district.city_index, city_code, city, district.name)
                write_account(
                    [
                        account_id,
                        customer_id,
                        "broadband",
                        status(),
                        where,
                        pick(BANDWIDTHS["broadband"], random_()),
                        when,
                        onu_id,
                    ]
                )
                accounts += 1
                if random_() < IPTV_SHARE:
                    # IPTV rides on the broadband line, so it cannot be older than it.
                    iptv_when, _days = opened_at(days_back)
                    write_account(
                        [
                            f"IPTV{account_id}",
                            customer_id,
                            "iptv",
                            status(),
                            where,
                            "",
                            iptv_when,
                            "",
                        ]
                    )
                    accounts += 1

        for service, share in DEDICATED_SHARE[kind]:
            if random_() < share:
                dedicated_counters[service] += 1
                letter = DEDICATED_LETTERS[service]
                account_id = f"ZX{letter}{district.division}{dedicated_counters[service]:08d}"
                where = (
                    address if kind == "group" else names.business_address(rng, city, district.name)
                )
                write_account(
                    [
                        account_id,
                        customer_id,
                        service,
                        status(),
                        where,
                        pick(BANDWIDTHS[service], random_()),
                        opened_at(max_days)[0],
                        "",
                    ]
                )
                accounts += 1

        # Most customers have their own mobile line; everyone has at least one account.
        if accounts == 0 or random_() < MOBILE_SHARE[kind]:
            for _line in range(1 + pick(EXTRA_MOBILE_LINES, random_())):
                # The account number is not the phone number: account numbers are stored in
                # plaintext, phone numbers only encrypted.
                mobile_counters[city_code] += 1
                write_account(
                    [
                        f"M{district.division}{mobile_counters[city_code]:08d}",
                        customer_id,
                        "mobile",
                        status(),
                        address,
                        "",
                        opened_at(max_days)[0],
                        "",
                    ]
                )

        if complain is not None:
            complain(customer_id, kind, tier, district, held)
            held.clear()
        if i % 1000 == 999:
            advance(1000)
    advance(total % 1000)
