"""The problem loop in the browser: the header search; a problem opened from a cluster of
similar complaints, solved, an article written from it and published; the article offered
on a new complaint and its answer script put into the reply with one click.

Selectors use ids, names and classes rather than visible words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sqm.complaints.models import Category, Department
from sqm.complaints.workorders import do_transition, open_work_order
from sqm.knowledge.models import Article, Problem
from tests.browser.conftest import login
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SCRIPT = "您好，您的光猫固件需要升级，我们已远程推送，请重启光猫。"


@pytest.fixture
def people(db):
    second = UserFactory(username="kb-second", roles=["second_line"], city_codes=["NJ"])
    Department.objects.get(code="NET").members.add(second)
    return {
        "agent": UserFactory(username="kb-agent", roles=["hotline_agent"], city_codes=["NJ"]),
        "second": second,
        "lead": UserFactory(username="kb-lead", roles=["team_lead"], city_codes=["NJ"]),
    }


def complaint(agent, text: str):
    return open_work_order(
        agent, customer=CustomerFactory(), category=Category.objects.get(code="NQ.BB.02"),
        channel="hotline", description=text,
    )  # fmt: skip


def test_the_header_search_finds_a_complaint_with_its_words_marked(new_page, live_server, people):
    order = complaint(people["agent"], "家里宽带经常断网，光猫红灯闪")
    page = new_page()
    login(page, live_server, people["agent"])
    page.locator("#header-search input[name=q]").fill("宽带 断网")
    page.locator("#header-search input[name=q]").press("Enter")
    page.wait_for_url("**/knowledge/search/?q=*")
    hit = page.locator("#hits .hit").first
    expect(hit).to_contain_text(order.number)
    expect(hit.locator("mark")).to_have_text(["宽带", "断网"])


def test_from_a_cluster_to_a_published_article_whose_script_goes_into_a_reply(
    new_page, live_server, people
):
    for n in range(3):
        complaint(people["agent"], f"晚上宽带频繁掉线，光猫重启后恢复，第{n + 1}次反映")
    page = new_page()
    login(page, live_server, people["second"])

    # A cluster of similar complaints in no problem: open a problem from it.
    page.goto("/knowledge/analysis/")
    page.locator("#clusters .open-from-cluster").first.click()
    page.wait_for_url("**/knowledge/problems/new/?orders=*")
    expect(page.locator("#orders-to-link li")).to_have_count(3)
    page.locator("#problem-form textarea[name=symptom]").fill("晚高峰频繁掉线")
    page.locator("#problem-form button[type=submit]").click()
    page.wait_for_url("**/knowledge/problems/*/")
    problem = Problem.objects.get()
    assert problem.orders.count() == 3

    # Analyse, write down the cause, solve.
    page.locator("#problem-actions button[value=analyse]").click()
    page.locator("#problem-edit textarea[name=root_cause]").fill("光猫固件缺陷")
    page.locator("#problem-edit button[value=edit]").click()
    page.locator("#problem-actions button[value=find_cause]").click()
    page.locator("#problem-actions button[value=solve]").click()
    expect(page.locator("#article-from-problem")).to_have_count(1)

    # An article from the solved problem, with its script, sent for review.
    page.locator("#article-from-problem").click()
    page.locator("#from-problem button[type=submit]").click()
    page.wait_for_url("**/knowledge/articles/*/")
    page.locator("#article-edit textarea[name=script]").fill(SCRIPT)
    page.locator("#article-edit button[value=save]").click()
    page.locator("#article-actions button[value=submit]").click()
    article = Article.objects.get()
    assert article.problem == problem and article.version == 2

    # The team lead publishes it.
    lead = new_page()
    login(lead, live_server, people["lead"])
    lead.goto(f"/knowledge/articles/{article.pk}/")
    lead.locator("#article-actions button[value=publish]").click()
    expect(lead.locator("#article-state")).not_to_have_text(article.get_state_display())
    article.refresh_from_db()
    assert article.state == "published"

    # A new complaint about the same thing: second line handles it and replies with the script.
    order = complaint(people["agent"], "光猫重启后还是晚上掉线")
    order = do_transition(people["agent"], order, "accept")
    order = do_transition(
        people["agent"],
        order,
        "escalate",
        "需二线处理",
        department=Department.objects.get(code="NET"),
    )
    page.goto(f"/complaints/orders/{order.pk}/")
    page.locator("#do-claim").click()
    suggested = page.locator("#suggested-articles")
    expect(suggested).to_contain_text(article.title)
    suggested.locator("button.insert-script").first.click()
    expect(page.locator("#reply-text")).to_have_value(SCRIPT)
