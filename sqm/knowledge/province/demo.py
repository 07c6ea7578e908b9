"""The problem library of the demo province: the second-line staff own their modules, and a
few problems group the history's work orders (one being analysed, one solved)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count

# Demo second-line user -> the modules (second-level category codes) they close the day for.
MODULES = {
    "secondline": ["NQ.BB", "NQ.TV", "WS.FI"],
    "secondline2": ["NQ.MO"],
    "billing": ["BL.DS", "BL.PY"],
    "billing2": ["BP.PL"],
}

# (module, third-level code, title, symptom, root cause or "", the steps to take)
PROBLEMS = [
    ("NQ.BB", "NQ.BB.02", "晚高峰宽带频繁掉线",
     "多名用户反映晚上八点到十一点宽带频繁掉线，光猫LOS灯闪烁。", "", ["analyse"]),
    ("NQ.BB", "NQ.BB.01", "小区宽带网速慢",
     "同一小区用户集中反映网速慢，测速远低于签约速率。", "OLT上联端口拥塞，已扩容。",
     ["analyse", "find_cause", "solve"]),
    ("BL.DS", None, "流量套餐扣费争议",
     "用户对套餐外流量扣费有异议，认为未收到提醒短信。", "", []),
]  # fmt: skip
ORDERS_PER_PROBLEM = 6
SCRIPT = (
    "您好，您所在小区的宽带上联端口已扩容，网速已恢复。"
    "如仍较慢，请重启光猫后再测速，我们会持续跟进。"
)
STEPS = "1. 核实用户所在小区及OLT；2. 远程测速；3. 仍慢则派单上门。"


def load() -> None:
    from sqm.complaints.models import Category, WorkOrder
    from sqm.knowledge import problems
    from sqm.knowledge.models import ModuleOwner, Problem

    users = {u.username: u for u in get_user_model().objects.filter(username__in=MODULES)}
    categories = {c.code: c for c in Category.objects.all()}
    for username, codes in MODULES.items():
        if username in users:
            for code in codes:
                if code in categories:
                    ModuleOwner.objects.get_or_create(user=users[username], module=categories[code])
    if Problem.objects.exists():
        return
    for module_code, leaf, title, symptom, cause, steps in PROBLEMS:
        module = categories.get(module_code)
        owner = next(
            (users[n] for n, codes in MODULES.items() if module_code in codes and n in users), None
        )
        if module is None or owner is None:
            continue
        orders = WorkOrder.objects.restrict(owner).filter(category__parent=module)
        if leaf:
            orders = orders.filter(category__code=leaf)
        # The busiest city's latest orders: a problem of one city.
        busiest = orders.values("city").annotate(n=Count("pk")).order_by("-n", "city").first()
        if busiest is None:
            continue
        picked = orders.filter(city=busiest["city"]).order_by("-created")
        picked = list(picked[:ORDERS_PER_PROBLEM])
        problem = problems.open_problem(
            owner, module=module, title=title, symptom=symptom, orders=picked
        )
        if cause:
            problems.edit(owner, problem, root_cause=cause)
        for step in steps:
            problem = problems.do_transition(owner, problem, step)
        if problem.state == "solved":
            _article(owner, problem)


def _article(writer, problem) -> None:
    """The solved problem's article, published by the team lead: agents are offered it."""
    from sqm.knowledge import articles

    lead = get_user_model().objects.filter(username="lead").first()
    article = articles.from_problem(writer, problem)
    articles.save_text(writer, article, script=SCRIPT, steps=STEPS)
    articles.do_transition(writer, article, "submit")
    if lead is not None:
        articles.do_transition(lead, article, "publish")
