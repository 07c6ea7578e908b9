"""Chinese text mining over complaints: segmentation, similar complaints, category suggestion
and `sqm complaints train`."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from sqm.complaints import textmining
from sqm.complaints.choices import RecordType, WorkOrderState
from sqm.complaints.models import Category, WorkOrder
from tests.complaints.helpers import record
from tests.factories import CustomerFactory

# What customers say about each category, and what every complaint says. Orders are built
# from two category phrases plus shared filler, so texts vary but stay clearly separable.
PHRASES = {
    "NQ.BB.01": ["宽带网速很慢", "测速只有十几兆", "晚上网速特别慢", "千兆宽带跑不满"],
    "NQ.BB.05": ["光猫坏了", "光猫指示灯一直闪红灯", "光猫重启也没用", "光猫发烫死机"],
    "NQ.MO.01": ["手机没有信号", "家里信号很弱", "地下室完全无信号", "5G信号时有时无"],
    "NQ.TV.01": ["电视画面卡顿", "IPTV看电视花屏", "机顶盒画面一直缓冲", "看直播卡得厉害"],
    "BP.VA.01": ["不知情被订购了彩铃", "莫名其妙开通了增值业务", "没同意就定制了会员业务"],
    "BL.PY.01": ["充值后没到账", "缴费了还显示欠费", "交了话费没到账被停机"],
    "WS.HA.01": ["营业员态度很差", "营业厅服务态度恶劣", "营业员爱理不理"],
}
OPENINGS = ["客户来电反映", "用户称", "客户表示", "客户多次来电", "", "客户很生气地说"]
DEMANDS = ["要求尽快处理", "要求给个说法", "如不解决将向工信部投诉", "希望今天解决", "", "要求补偿"]
PER_CATEGORY = 36
KINDS = (RecordType.COMPLAINT_WORK_ORDER, RecordType.DIRECT_ANSWER_COMPLAINT)


def description(rng: random.Random, code: str) -> str:
    first, second = rng.sample(PHRASES[code], 2)
    return f"{rng.choice(OPENINGS)}{first}，{second}，{rng.choice(DEMANDS)}"


def closed_orders(per_category: int = PER_CATEGORY, codes=None, seed: int = 7) -> int:
    """Closed complaint work orders with varied texts, written in one insert.

    (Going through open_work_order and the callback would take seconds for a few hundred.)
    """
    rng = random.Random(seed)
    customer = CustomerFactory()
    categories = Category.objects.in_bulk(list(codes or PHRASES), field_name="code")
    now = timezone.now()
    orders = [
        WorkOrder(
            number=f"TST{code}{n:04d}",
            customer=customer,
            city_id=customer.city_id,
            channel="hotline",
            category=category,
            description=description(rng, code),
            state=WorkOrderState.CLOSED,
            closed_at=now,
            record_type=KINDS[n % 4 == 0],
        )
        for code, category in categories.items()
        for n in range(per_category)
    ]
    WorkOrder.objects.bulk_create(orders)
    return len(orders)


@pytest.fixture
def home(settings, tmp_path: Path) -> Path:
    """A fresh SQM_HOME, so each test has its own (or no) model."""
    settings.SQM_HOME = tmp_path
    return tmp_path


# --- segmentation -----------------------------------------------------------------------


def test_it_keeps_telecom_terms_as_single_tokens():
    tokens = textmining.tokenize("家里光猫坏了，宽带账号登录不上，PON口灯不亮，打10086没用")
    assert "光猫" in tokens
    assert "宽带账号" in tokens
    assert "pon口" in tokens  # Latin letters come out in lower case
    assert "10086" in tokens  # a service number from the user dictionary stays


def test_it_drops_punctuation_whitespace_bare_numbers_and_stop_words():
    tokens = textmining.tokenize("客户来电反映：我的 手机号 13912345678 扣了 50 元！！")
    assert tokens == ["手机号", "扣", "元"]
    assert textmining.tokenize("，。！？ 123 \n") == []
    assert textmining.tokenize("") == []


def test_it_reads_full_width_letters_like_half_width_ones():
    assert "pon口" in textmining.tokenize("ＰＯＮ口灯红了")


# --- category suggestion ----------------------------------------------------------------


def test_it_trains_on_closed_complaints_and_measures_high_accuracy(home, people):
    total = closed_orders()
    # Open orders and service requests are not learned from.
    record(people["agent"], description="宽带网速很慢，还在处理")
    service = WorkOrder.objects.filter(state=WorkOrderState.CLOSED).first()
    WorkOrder.objects.filter(pk=service.pk).update(record_type=RecordType.SERVICE)
    report = textmining.train()
    assert report.n_train + report.n_test == total - 1
    assert report.n_test == round((total - 1) * 0.2)
    assert report.n_categories == len(PHRASES)
    assert report.top3 >= 0.95
    assert report.top1 >= 0.85
    assert report.path == home / "models" / "category-classifier.joblib"
    assert report.path.is_file()
    metadata = json.loads((home / "models" / "category-classifier.json").read_text("utf-8"))
    assert metadata == report.as_dict() == textmining.read_metadata()
    assert not [name for name in os.listdir(home / "models") if name.endswith(".tmp")]


def test_the_same_seed_gives_the_same_split_and_scores(home, db):
    closed_orders()
    first = textmining.train(seed=3, path=home / "a.joblib")
    second = textmining.train(seed=3, path=home / "b.joblib")
    assert (first.n_train, first.n_test, first.top1, first.top3) == (
        second.n_train,
        second.n_test,
        second.top1,
        second.top3,
    )


def test_it_suggests_broadband_for_slow_speed_text(home, db):
    closed_orders()
    textmining.train()
    suggestions = textmining.suggest_categories("家里宽带网速太慢了，晚上测速只有几兆")
    assert len(suggestions) == 3
    assert suggestions[0][0].code == "NQ.BB.01"
    probabilities = [probability for _category, probability in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= probability <= 1 for probability in probabilities)
    assert textmining.suggest_categories("光猫红灯闪，重启也没用", k=1)[0][0].code == "NQ.BB.05"


def test_it_skips_categories_deactivated_since_training(home, db):
    closed_orders()
    textmining.train()
    Category.objects.filter(code="NQ.BB.01").update(active=False)
    codes = [c.code for c, _p in textmining.suggest_categories("宽带网速很慢", k=10)]
    assert "NQ.BB.01" not in codes
    assert len(codes) == len(PHRASES) - 1


def test_it_suggests_nothing_without_a_model(home, db):
    assert textmining.suggest_categories("宽带网速很慢") == []
    assert textmining.read_metadata() is None


def test_it_suggests_nothing_when_the_model_file_is_unreadable(home, db):
    (home / "models").mkdir()
    (home / "models" / "category-classifier.joblib").write_bytes(b"not a model")
    assert textmining.suggest_categories("宽带网速很慢") == []


def test_it_suggests_nothing_for_text_without_words(home, db):
    closed_orders()
    textmining.train()
    assert textmining.suggest_categories("，。！ 12345") == []


def test_it_uses_a_retrained_model_without_a_restart(home, db):
    closed_orders(codes=["NQ.BB.01", "WS.HA.01"])
    textmining.train()
    assert {c.code for c, _p in textmining.suggest_categories("手机没有信号")} == {
        "NQ.BB.01",
        "WS.HA.01",
    }
    closed_orders(codes=["NQ.MO.01"])
    textmining.train()
    assert textmining.suggest_categories("手机没有信号")[0][0].code == "NQ.MO.01"


def test_it_refuses_to_train_on_too_little_data(home, db):
    closed_orders(per_category=5)
    with pytest.raises(ValueError, match="50"):
        textmining.train()
    assert not (home / "models" / "category-classifier.joblib").exists()


def test_it_refuses_to_train_on_a_single_category(home, db):
    closed_orders(codes=["NQ.BB.01"], per_category=60)
    with pytest.raises(ValueError):
        textmining.train()


# --- similar complaints -----------------------------------------------------------------


def test_it_ranks_the_near_duplicate_first_and_ignores_other_customers(people):
    agent = people["agent"]
    customer = CustomerFactory()
    text = "光猫坏了，指示灯一直闪红灯，宽带上不了网"
    duplicate = record(agent, customer=customer, description=text)
    related = record(
        agent, customer=customer, code="NQ.BB.01", description="宽带网速很慢，晚上更慢"
    )
    record(agent, customer=customer, code="BL.PY.01", description="充值后话费没到账")
    stranger = record(agent, description=text)

    ranked = textmining.similar_complaints(customer, "光猫坏了，指示灯闪红灯，上不了网")

    assert ranked[0][0] == duplicate
    assert ranked[0][1] > 0.5
    assert stranger not in [order for order, _score in ranked]
    assert all(order.customer_id == customer.pk for order, _score in ranked)
    scores = [score for _order, score in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(score >= 0.15 for score in scores)
    # Sharing only 宽带 with the text, the slow-speed order scores far below the duplicate.
    assert dict(ranked).get(related, 0) < ranked[0][1] / 2


def test_it_leaves_out_the_order_being_edited_and_respects_the_limit(people):
    agent = people["agent"]
    customer = CustomerFactory()
    orders = [
        record(agent, customer=customer, description=f"光猫坏了，第{n}次反映，宽带上不了网")
        for n in range(4)
    ]
    ranked = textmining.similar_complaints(
        customer, orders[0].description, exclude_pk=orders[0].pk, limit=2
    )
    assert len(ranked) == 2
    assert orders[0] not in [order for order, _score in ranked]


def test_it_finds_nothing_for_unrelated_or_empty_text(people):
    customer = CustomerFactory()
    record(people["agent"], customer=customer, description="光猫坏了，宽带上不了网")
    assert textmining.similar_complaints(customer, "营业员态度很差") == []
    assert textmining.similar_complaints(customer, "！！！") == []
    assert textmining.similar_complaints(CustomerFactory(), "光猫坏了") == []


# --- sqm complaints train ---------------------------------------------------------------


def train_command(*args: str) -> str:
    out = io.StringIO()
    call_command("complaints", "train", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_train_command_prints_one_json_object_with_stable_keys(home, db):
    closed_orders()
    data = json.loads(train_command("--json", "--test-share", "0.25", "--seed", "1"))
    assert sorted(data) == [
        "n_categories",
        "n_test",
        "n_train",
        "path",
        "seed",
        "test_share",
        "top1",
        "top3",
        "trained_at",
    ]
    assert data["n_categories"] == len(PHRASES)
    assert data["n_train"] + data["n_test"] == len(PHRASES) * PER_CATEGORY
    assert (data["test_share"], data["seed"]) == (0.25, 1)
    assert data["top3"] >= 0.95
    assert data["path"] == str(home / "models" / "category-classifier.joblib")


def test_the_train_command_prints_accuracy_counts_and_the_model_path(home, db):
    closed_orders()
    with translation.override("en"):
        out = train_command()
    assert "Top-1 accuracy:" in out and "top-3 accuracy:" in out
    assert f"{len(PHRASES)} categories" in out
    assert str(home / "models" / "category-classifier.joblib") in out


def test_the_train_command_exits_1_on_too_little_data(home, db):
    closed_orders(per_category=3)
    with pytest.raises(CommandError) as caught:
        train_command("--json")
    assert caught.value.returncode == 1
    assert not (home / "models").exists()


def test_the_train_command_refuses_a_test_share_outside_0_to_1(home, db):
    with pytest.raises(CommandError, match="--test-share"):
        train_command("--test-share", "1.5")


def test_the_console_script_exits_2_on_a_bad_test_share(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQM_")}
    env.update(SQM_HOME=str(tmp_path), LANGUAGE="en")
    result = subprocess.run(
        [sys.executable, "-m", "sqm.cli", "complaints", "train", "--test-share", "x"],
        env=env,
        capture_output=True,
    )
    assert result.returncode == 2
    assert b"--test-share" in result.stderr
