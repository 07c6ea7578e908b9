"""The synthetic province generator (`sqm generate`) and the terminal progress bar."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sqm.cli import main as sqm_main
from sqm.core.generator import DEFAULT_AS_OF, generate_province
from sqm.core.generator.identity import (
    MOBILE_PREFIXES,
    AffinePermutation,
    id_check_digit,
    is_valid_id_number,
)
from sqm.core.progress import Progress, progress, render
from sqm.core.province import CITIES
from sqm.quality.province import FILES as QUALITY_FILES

CUSTOMERS = 3000
SEED = 20260630

CUSTOMER_HEADER = [
    "customer_id",
    "name",
    "mobile",
    "id_number",
    "customer_type",
    "tier",
    "city",
    "district",
    "marketing_consent",
    "service_sms_opt_out",
    "address",
]
ACCOUNT_HEADER = [
    "account_id",
    "customer_id",
    "service",
    "status",
    "address",
    "bandwidth_mbps",
    "opened_at",
    "onu_id",
]
TOPOLOGY_HEADER = [
    "olt_id",
    "olt_name",
    "olt_ip",
    "vendor",
    "city",
    "district",
    "frame",
    "slot",
    "port",
    "onu_id",
]
CST = timezone(timedelta(hours=8))
DISTRICTS = {(city, name): code for _c, city, _div, ds in CITIES for code, name in ds}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("province")
    counts = generate_province(out, customers=CUSTOMERS, seed=SEED, months=6)
    return {
        "out": out,
        "counts": counts,
        "customers": read_rows(out / "customers.csv"),
        "accounts": read_rows(out / "accounts.csv"),
        "topology": read_rows(out / "topology.csv"),
    }


# --- determinism and files ---------------------------------------------------------------


def test_the_same_seed_writes_byte_identical_files(tmp_path):
    generate_province(tmp_path / "a", customers=400, seed=11)
    generate_province(tmp_path / "b", customers=400, seed=11)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == [
        "accounts.csv",
        "activations.csv",
        "alarms.jsonl",
        "circuit_outages.csv",
        "circuits.csv",
        "complaints.jsonl",
        "customers.csv",
        "manifest.json",
        "operations.csv",
        "repairs.csv",
        "speed_tests.csv",
        "topology.csv",
        "transfers.csv",
    ]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_another_seed_writes_a_different_province(tmp_path):
    generate_province(tmp_path / "a", customers=200, seed=1)
    generate_province(tmp_path / "b", customers=200, seed=2)
    first = (tmp_path / "a" / "customers.csv").read_bytes()
    assert first != (tmp_path / "b" / "customers.csv").read_bytes()


def test_a_larger_province_does_not_change_the_first_customers(tmp_path):
    # Everything is streamed, so the first customers depend only on the seed.
    generate_province(tmp_path / "small", customers=100, seed=5)
    generate_province(tmp_path / "large", customers=300, seed=5)
    small = read_rows(tmp_path / "small" / "customers.csv")
    large = read_rows(tmp_path / "large" / "customers.csv")
    assert large[:100] == small


def test_every_file_has_exactly_the_documented_header_and_unix_line_ends(province):
    out = province["out"]
    for name, header in [
        ("customers.csv", CUSTOMER_HEADER),
        ("accounts.csv", ACCOUNT_HEADER),
        ("topology.csv", TOPOLOGY_HEADER),
    ]:
        raw = (out / name).read_bytes()
        assert b"\r" not in raw
        assert raw.decode("utf-8").split("\n", 1)[0] == ",".join(header)


def test_it_returns_and_records_the_row_counts_of_each_file(province):
    counts = province["counts"]
    assert counts == {
        "customers": len(province["customers"]),
        "accounts": len(province["accounts"]),
        "topology": len(province["topology"]),
        "complaints": counts["complaints"],  # see test_complaint_history_generator.py
        "alarms": counts["alarms"],  # see test_generator_alarms.py
        # the quality facts: see tests/quality/test_province.py
        **{kind: counts[kind] for kind in QUALITY_FILES},
    }
    assert counts["customers"] == CUSTOMERS
    manifest = json.loads((province["out"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == SEED
    assert manifest["customers"] == CUSTOMERS
    assert manifest["months"] == 6
    assert manifest["as_of"] == DEFAULT_AS_OF.isoformat()
    assert manifest["generator_version"]
    assert manifest["files"] == {
        "customers.csv": counts["customers"],
        "accounts.csv": counts["accounts"],
        "topology.csv": counts["topology"],
        "complaints.jsonl": counts["complaints"],
        "alarms.jsonl": counts["alarms"],
        **{name: counts[kind] for kind, name in QUALITY_FILES.items()},
    }


def test_it_leaves_no_temporary_files_behind(province):
    assert not list(province["out"].glob("*.tmp"))


def test_it_refuses_an_out_path_that_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a directory")
    with pytest.raises(ValueError, match="not a directory"):
        generate_province(target, customers=10, seed=1)


def test_it_refuses_fewer_than_one_customer(tmp_path):
    with pytest.raises(ValueError):
        generate_province(tmp_path, customers=0, seed=1)
    assert not list(tmp_path.iterdir())


# --- customers ---------------------------------------------------------------------------


def test_customer_ids_mobiles_and_id_numbers_are_unique(province):
    customers = province["customers"]
    for column in ("customer_id", "mobile", "id_number"):
        values = [row[column] for row in customers]
        assert len(set(values)) == len(values), column


def test_every_id_number_has_a_valid_check_digit_and_the_district_code(province):
    for row in province["customers"]:
        id_number = row["id_number"]
        assert is_valid_id_number(id_number), id_number
        assert id_number[:6] == DISTRICTS[(row["city"], row["district"])]


def test_every_id_number_holds_a_birth_date_of_an_adult_up_to_85(province):
    for row in province["customers"]:
        born = datetime.strptime(row["id_number"][6:14], "%Y%m%d").date()
        age = (DEFAULT_AS_OF - born).days / 365.25
        assert 18 <= age < 86, row["id_number"]
        assert row["id_number"][14:17] != "000"


def test_mobile_numbers_are_eleven_digits_with_real_looking_prefixes(province):
    for row in province["customers"]:
        assert re.fullmatch(r"1[3-9]\d{9}", row["mobile"])
        assert row["mobile"][:3] in MOBILE_PREFIXES


def test_cities_and_districts_are_the_provinces(province):
    for rows in (province["customers"], province["topology"]):
        for row in rows:
            assert (row["city"], row["district"]) in DISTRICTS


def test_customers_spread_over_cities_roughly_by_population(province):
    cities = Counter(row["city"] for row in province["customers"])
    assert set(cities) == {city for _c, city, _d, _ds in CITIES}
    assert cities["苏州"] > cities["宿迁"] * 2
    assert cities["南京"] > cities["镇江"] * 2


def test_customer_fields_take_only_their_allowed_values(province):
    for row in province["customers"]:
        assert row["customer_type"] in {"public", "group"}
        assert row["tier"] in {"normal", "silver", "gold", "diamond"}
        assert row["marketing_consent"] in {"0", "1"}
        assert row["service_sms_opt_out"] in {"0", "1"}
        assert row["address"].startswith(f"{row['city']}市{row['district']}")
        assert re.fullmatch(r"C\d{12}", row["customer_id"])


def test_group_customers_carry_company_names_and_people_chinese_names(province):
    for row in province["customers"]:
        if row["customer_type"] == "group":
            assert row["name"].startswith(row["city"])
            assert row["name"].endswith("有限公司")
        else:
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", row["name"]), row["name"]


def test_shares_are_close_to_the_documented_ratios(province):
    customers, accounts = province["customers"], province["accounts"]
    n = len(customers)
    share = Counter(row["customer_type"] for row in customers)
    assert 0.03 < share["group"] / n < 0.07
    tiers = Counter(row["tier"] for row in customers)
    assert 0.76 < tiers["normal"] / n < 0.84
    assert 0.005 < tiers["diamond"] / n < 0.04
    assert 0.36 < sum(row["marketing_consent"] == "1" for row in customers) / n < 0.44
    assert 0.01 < sum(row["service_sms_opt_out"] == "1" for row in customers) / n < 0.05
    assert 1.45 < len(accounts) / n < 1.75
    services = defaultdict(set)
    for row in accounts:
        services[row["customer_id"]].add(row["service"])
    assert 0.55 < sum("broadband" in s for s in services.values()) / n < 0.65
    assert sum("mobile" in s for s in services.values()) / n > 0.7
    statuses = Counter(row["status"] for row in accounts)
    assert 0.90 < statuses["active"] / len(accounts) < 0.96
    assert set(statuses) == {"active", "suspended", "closed"}


# --- accounts ----------------------------------------------------------------------------


def test_account_ids_are_unique_and_every_customer_has_one(province):
    ids = [row["account_id"] for row in province["accounts"]]
    assert len(set(ids)) == len(ids)
    owners = {row["customer_id"] for row in province["accounts"]}
    assert owners == {row["customer_id"] for row in province["customers"]}


def test_account_fields_follow_the_format(province):
    as_of_end = datetime.combine(DEFAULT_AS_OF, datetime.max.time(), tzinfo=CST)
    for row in province["accounts"]:
        service = row["service"]
        assert service in {
            "broadband",
            "mobile",
            "iptv",
            "dedicated_voice",
            "dedicated_data",
            "dedicated_internet",
        }
        assert row["status"] in {"active", "suspended", "closed"}
        if service == "broadband":
            assert row["bandwidth_mbps"] in {"100", "200", "300", "500", "1000"}
        elif service.startswith("dedicated_"):
            assert int(row["bandwidth_mbps"]) > 0
        else:
            assert row["bandwidth_mbps"] == ""
        opened = datetime.fromisoformat(row["opened_at"])
        assert opened.utcoffset() == timedelta(hours=8)
        assert as_of_end - timedelta(days=8 * 366) < opened <= as_of_end
        if service == "mobile":
            assert re.fullmatch(r"M\d{4}\d{8}", row["account_id"])


def test_no_account_number_carries_a_phone_number(province):
    mobiles = {row["mobile"] for row in province["customers"]}
    assert not any(row["account_id"][1:] in mobiles for row in province["accounts"])


def test_onu_ids_appear_on_broadband_accounts_only(province):
    for row in province["accounts"]:
        assert bool(row["onu_id"]) == (row["service"] == "broadband"), row


def test_every_broadband_account_hangs_on_its_own_onu_in_its_district(province):
    customers = {row["customer_id"]: row for row in province["customers"]}
    onus = {row["onu_id"]: row for row in province["topology"]}
    used = [row["onu_id"] for row in province["accounts"] if row["service"] == "broadband"]
    assert len(set(used)) == len(used)
    assert set(used) == set(onus)  # every ONU row serves exactly one broadband account
    for row in province["accounts"]:
        if row["service"] == "broadband":
            onu = onus[row["onu_id"]]
            owner = customers[row["customer_id"]]
            assert (onu["city"], onu["district"]) == (owner["city"], owner["district"])


def test_iptv_accounts_belong_to_broadband_customers(province):
    broadband = {r["customer_id"] for r in province["accounts"] if r["service"] == "broadband"}
    iptv = [r for r in province["accounts"] if r["service"] == "iptv"]
    assert iptv
    assert all(r["customer_id"] in broadband for r in iptv)


# --- topology ----------------------------------------------------------------------------


def test_onu_ids_are_unique(province):
    ids = [row["onu_id"] for row in province["topology"]]
    assert len(set(ids)) == len(ids)


def test_pon_ports_hold_at_most_64_onus_and_are_numbered_0_to_15(province):
    per_port = Counter(
        (row["olt_id"], row["frame"], row["slot"], row["port"]) for row in province["topology"]
    )
    assert max(per_port.values()) <= 64
    for _olt, frame, slot, port in per_port:
        assert frame in {"0", "1"}
        assert int(slot) >= 1
        assert 0 <= int(port) <= 15


def test_every_olt_has_one_name_address_vendor_and_place(province):
    olts: dict[str, tuple] = {}
    for row in province["topology"]:
        attributes = (row["olt_name"], row["olt_ip"], row["vendor"], row["city"], row["district"])
        assert olts.setdefault(row["olt_id"], attributes) == attributes
    ips = [attributes[1] for attributes in olts.values()]
    assert len(set(ips)) == len(ips)
    for olt_id, (name, ip, vendor, city, district) in olts.items():
        assert re.fullmatch(r"OLT-[A-Z]+-\d{4}", olt_id)
        assert re.fullmatch(r"10\.\d+\.\d+\.\d+", ip)
        assert vendor in {"华为", "中兴", "烽火"}
        assert name.startswith(f"{city}{district}-") and re.search(r"-OLT\d{2}$", name)


# --- identity helpers --------------------------------------------------------------------


def test_id_check_digit_matches_the_standards_worked_examples():
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"


def test_it_rejects_id_numbers_with_a_wrong_check_digit_or_shape():
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("11010519491231002x")
    assert not is_valid_id_number("1101051949123100")
    assert not is_valid_id_number("A1010519491231002X")
    with pytest.raises(ValueError):
        id_check_digit("123")


def test_the_affine_permutation_is_a_bijection():
    for size in (1, 2, 97, 1000, 1024):
        permute = AffinePermutation(size, random.Random(size))
        assert sorted(permute(i) for i in range(size)) == list(range(size))


# --- the command -------------------------------------------------------------------------


def test_the_command_writes_the_province_and_prints_a_one_line_summary(tmp_path, capsys):
    sqm_main(["sqm", "generate", "--out", str(tmp_path / "p"), "--customers", "50"])  # no exit
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1 and "50" in summary[0]
    assert len(read_rows(tmp_path / "p" / "customers.csv")) == 50


def test_the_command_exits_1_for_zero_customers(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        sqm_main(["sqm", "generate", "--out", str(tmp_path / "p"), "--customers", "0"])
    assert exit_info.value.code == 1
    assert "--customers" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_the_command_exits_1_when_out_is_a_file(tmp_path, capsys):
    target = tmp_path / "file.csv"
    target.write_text("x")
    with pytest.raises(SystemExit) as exit_info:
        sqm_main(["sqm", "generate", "--out", str(target), "--customers", "5"])
    assert exit_info.value.code == 1
    assert "file.csv" in capsys.readouterr().err


def test_the_command_exits_2_on_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        sqm_main(["sqm", "generate", "--customers", "many", "--out", str(tmp_path)])
    assert exit_info.value.code == 2


def test_the_command_exits_2_on_a_malformed_as_of_date(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        sqm_main(["sqm", "generate", "--out", str(tmp_path), "--customers", "5", "--as-of", "soon"])
    assert exit_info.value.code == 2
    assert "'soon' is not a date" in capsys.readouterr().err


def test_the_command_explains_its_options_in_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        sqm_main(["sqm", "generate", "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--out", "--customers", "--seed", "--months", "--as-of"):
        assert option in help_text


def test_the_as_of_date_moves_ages_and_opening_dates(tmp_path):
    generate_province(tmp_path, customers=200, seed=3, as_of=date(2020, 1, 31))
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2020-01-31"
    for row in read_rows(tmp_path / "accounts.csv"):
        assert row["opened_at"] < "2020-02-01"


# --- progress bar ------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_the_bar_line_shows_share_counts_label_and_rate():
    line = render(420_000, 1_000_000, "customers", rate=35_000.4, width=10)
    assert line == "[####......] 42% 420,000/1,000,000 customers 35,000/s"


def test_progress_draws_nothing_when_stderr_is_not_a_terminal():
    stream = FakeTerminal(tty=False)
    with Progress(10, "rows", stream=stream) as bar:
        bar.update(10)
    assert stream.getvalue() == ""


def test_progress_draws_the_bar_on_a_terminal_and_ends_the_line():
    ticks = iter([0.0, 1.0, 2.0, 3.0])
    stream = FakeTerminal(tty=True)
    bar = Progress(4, "rows", stream=stream, width=4, clock=lambda: next(ticks))
    bar.update(2)
    bar.close()
    output = stream.getvalue()
    assert output.startswith("\r[##..] 50% 2/4 rows 2/s")
    assert output.endswith("\n")


def test_progress_wraps_an_iterable_and_yields_every_item():
    stream = FakeTerminal(tty=True)
    assert list(progress([1, 2, 3], "items", stream=stream)) == [1, 2, 3]
    assert "3/3 items" in stream.getvalue()


def test_progress_given_a_count_returns_a_bar_that_can_be_disabled():
    stream = FakeTerminal(tty=True)
    bar = progress(5, "items", stream=stream, enabled=False)
    bar.update(5)
    bar.close()
    assert bar.done == 5 and stream.getvalue() == ""
