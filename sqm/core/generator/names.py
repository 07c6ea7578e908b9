"""Plausible Chinese personal names, company names and street addresses."""

from __future__ import annotations

import random
from bisect import bisect_right
from itertools import accumulate

# Common surnames with rough shares (per mille of the population), most frequent first,
# then a few compound surnames so rare that a small province holds only a handful.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71.5),
    ("李", 70.0),
    ("张", 68.6),
    ("刘", 53.8),
    ("陈", 45.3),
    ("杨", 31.0),
    ("黄", 22.3),
    ("赵", 20.0),
    ("吴", 19.5),
    ("周", 18.7),
    ("徐", 15.2),
    ("孙", 14.9),
    ("马", 14.1),
    ("朱", 13.8),
    ("胡", 13.3),
    ("郭", 12.9),
    ("何", 11.8),
    ("林", 11.4),
    ("高", 11.3),
    ("罗", 9.4),
    ("郑", 9.3),
    ("梁", 9.0),
    ("谢", 8.3),
    ("宋", 7.0),
    ("唐", 6.9),
    ("许", 6.6),
    ("韩", 6.5),
    ("冯", 6.3),
    ("邓", 6.2),
    ("曹", 6.1),
    ("彭", 5.9),
    ("曾", 5.8),
    ("肖", 5.6),
    ("田", 5.3),
    ("董", 5.2),
    ("袁", 5.0),
    ("潘", 5.0),
    ("于", 4.9),
    ("蒋", 4.8),
    ("蔡", 4.7),
    ("余", 4.6),
    ("杜", 4.4),
    ("叶", 4.3),
    ("程", 4.2),
    ("苏", 4.0),
    ("魏", 4.0),
    ("吕", 3.9),
    ("丁", 3.8),
    ("任", 3.8),
    ("沈", 3.7),
    ("姚", 3.6),
    ("卢", 3.6),
    ("姜", 3.4),
    ("崔", 3.3),
    ("钟", 3.2),
    ("谭", 3.2),
    ("陆", 3.1),
    ("汪", 3.0),
    ("范", 3.0),
    ("金", 2.9),
    ("石", 2.9),
    ("廖", 2.8),
    ("贾", 2.8),
    ("夏", 2.7),
    ("韦", 2.7),
    ("付", 2.6),
    ("方", 2.6),
    ("白", 2.5),
    ("邹", 2.5),
    ("孟", 2.4),
    ("熊", 2.4),
    ("秦", 2.3),
    ("邱", 2.3),
    ("江", 2.3),
    ("尹", 2.2),
    ("薛", 2.1),
    ("闫", 2.0),
    ("段", 2.0),
    ("雷", 2.0),
    ("侯", 1.9),
    ("龙", 1.9),
    ("史", 1.8),
    ("陶", 1.8),
    ("黎", 1.7),
    ("贺", 1.7),
    ("顾", 1.7),
    ("毛", 1.6),
    ("郝", 1.6),
    ("龚", 1.5),
    ("邵", 1.5),
    ("万", 1.5),
    ("钱", 1.4),
    ("严", 1.4),
    ("戴", 1.4),
    ("欧阳", 0.3),
    ("司马", 0.05),
    ("诸葛", 0.05),
    ("上官", 0.05),
    ("东方", 0.03),
)

# Given-name characters leaning male, leaning female, and used for both.
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙峰建国志东海亮成博豪轩睿阳泽晨"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲燕婷雪慧颖琳倩洁梅红莉萍晶欣怡佳悦媛雯璐薇蕾月彤涵琪萱诗梦"
SHARED_CHARS = "子一文思嘉雨心安晓可乐新瑞春秋云"

# Company names: <city><brand><industry><legal form>.
BRAND_CHARS = "恒达华信瑞鑫盛泰和宏天源博创远嘉通汇联金正新荣昌德安永顺祥隆海益凯"
INDUSTRIES: tuple[str, ...] = (
    "科技",
    "信息技术",
    "电子",
    "贸易",
    "物流",
    "建设工程",
    "实业",
    "医药",
    "餐饮管理",
    "教育咨询",
    "机械制造",
    "纺织",
    "新材料",
    "物业管理",
    "网络科技",
    "商贸",
)

ROADS: tuple[str, ...] = (
    "中山路",
    "人民路",
    "解放路",
    "建设路",
    "和平路",
    "长江路",
    "新华路",
    "文化路",
    "胜利路",
    "青年路",
    "北京路",
    "黄河路",
    "淮海路",
    "友谊路",
    "光明路",
    "幸福路",
    "迎宾大道",
    "学府路",
    "东风路",
    "健康路",
    "工农路",
    "银杏路",
    "香樟路",
    "运河路",
    "太湖路",
    "江海大道",
    "府前街",
    "朝阳路",
    "振兴路",
    "育才路",
)
ROAD_SUFFIXES: tuple[str, ...] = ("", "", "", "东", "西", "南", "北")
BUILDINGS: tuple[str, ...] = ("大厦", "广场", "中心", "科技园", "商务楼")


def _cumulative(weights: list[float]) -> tuple[list[float], float]:
    cum = list(accumulate(weights))
    return cum, cum[-1]


_SURNAME_CUM, _SURNAME_TOTAL = _cumulative([w for _, w in SURNAMES])
_SURNAME_LIST = [s for s, _ in SURNAMES]
_MALE = MALE_CHARS + SHARED_CHARS
_FEMALE = FEMALE_CHARS + SHARED_CHARS


def person_name(rng: random.Random, female: bool, born_before_1980: bool) -> str:
    """A surname and one or two given-name characters matching the sex.

    Single-character given names were commoner for people born before 1980.
    """
    random_ = rng.random
    surname = _SURNAME_LIST[bisect_right(_SURNAME_CUM, random_() * _SURNAME_TOTAL)]
    chars = _FEMALE if female else _MALE
    n = len(chars)
    first = chars[int(random_() * n)]
    if random_() < (0.4 if born_before_1980 else 0.2):
        return surname + first
    return surname + first + chars[int(random_() * n)]


def company_name(rng: random.Random, city: str) -> str:
    """A company-like name such as 南京恒达科技有限公司."""
    random_ = rng.random
    n = len(BRAND_CHARS)
    brand = BRAND_CHARS[int(random_() * n)] + BRAND_CHARS[int(random_() * n)]
    industry = INDUSTRIES[int(random_() * len(INDUSTRIES))]
    form = "股份有限公司" if random_() < 0.1 else "有限公司"
    return f"{city}{brand}{industry}{form}"


def road(rng: random.Random) -> str:
    """A street name, sometimes with a compass part (中山东路)."""
    name = ROADS[int(rng.random() * len(ROADS))]
    suffix = ROAD_SUFFIXES[int(rng.random() * len(ROAD_SUFFIXES))]
    return name[:-1] + suffix + name[-1] if suffix and name.endswith("路") else name


def home_address(rng: random.Random, city: str, district: str) -> str:
    """A residential address: 南京市玄武区中山路123号5幢201室."""
    random_ = rng.random
    number = 1 + int(random_() * 399)
    building = 1 + int(random_() * 30)
    floor = 1 + int(random_() * 18)
    room = 1 + int(random_() * 4)
    return f"{city}市{district}{road(rng)}{number}号{building}幢{floor}{room:02d}室"


def business_address(rng: random.Random, city: str, district: str) -> str:
    """An office address: 苏州市姑苏区人民路88号恒达大厦12层."""
    random_ = rng.random
    number = 1 + int(random_() * 599)
    n = len(BRAND_CHARS)
    brand = BRAND_CHARS[int(random_() * n)] + BRAND_CHARS[int(random_() * n)]
    building = BUILDINGS[int(random_() * len(BUILDINGS))]
    floor = 1 + int(random_() * 28)
    return f"{city}市{district}{road(rng)}{number}号{brand}{building}{floor}层"
