"""Knowledge articles: written, versioned, reviewed, published, expired; from a solved
problem; safe Markdown; found by the search in their cities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sqm.complaints.models import Category
from sqm.core.models import Notification
from sqm.knowledge import articles, problems, search
from sqm.knowledge.models import Article
from tests.complaints.helpers import record
from tests.factories import UserFactory, city

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return {
        "writer": UserFactory(username="a-writer", roles=["second_line"], city_codes=["NJ"]),
        "lead": UserFactory(username="a-lead", roles=["team_lead"], city_codes=["NJ"]),
        "agent": UserFactory(username="a-agent", roles=["hotline_agent"], city_codes=["NJ"]),
        "sz": UserFactory(username="a-sz", roles=["hotline_agent"], city_codes=["SZ"]),
    }


def write(staff, **fields) -> Article:
    return articles.create_article(
        staff["writer"], title="光猫红灯处理口径", script="您好，请重启光猫。", **fields
    )


def test_an_article_goes_from_draft_through_review_to_published_and_expired(staff):
    article = write(staff)
    assert article.code.startswith("ZS") and article.state == "draft"
    articles.do_transition(staff["writer"], article, "submit")
    with pytest.raises(PermissionDenied):  # the writer does not publish their own
        articles.do_transition(staff["writer"], article, "publish")
    articles.do_transition(staff["lead"], article, "publish")
    assert article.state == "published"
    articles.do_transition(staff["lead"], article, "expire")
    assert article.state == "expired"
    with pytest.raises(ValidationError):
        articles.save_text(staff["writer"], article, script="新的口径")


def test_every_save_is_a_version_and_two_versions_show_their_difference(staff):
    article = write(staff)
    articles.save_text(staff["writer"], article, script="您好，请重启光猫，仍不行请报修。")
    assert list(article.versions.values_list("number", flat=True)) == [1, 2]
    changes = dict(articles.diff(article, 1, 2))
    assert ("-", "您好，请重启光猫。") in changes["script"]
    assert ("+", "您好，请重启光猫，仍不行请报修。") in changes["script"]
    assert "title" not in changes


def test_editing_a_published_article_sends_it_back_to_review(staff):
    article = write(staff)
    articles.do_transition(staff["writer"], article, "submit")
    articles.do_transition(staff["lead"], article, "publish")
    articles.save_text(staff["writer"], article, script="新口径")
    assert article.state == "in_review" and article.version == 2


def test_a_solved_problem_becomes_a_draft_article_linked_both_ways(staff):
    order = record(staff["agent"], description="光猫红灯")
    problem = problems.open_problem(
        staff["writer"], module=Category.objects.get(code="NQ.BB"), title="光猫批量红灯",
        symptom="光猫红灯", orders=[order],
    )  # fmt: skip
    with pytest.raises(ValidationError):
        articles.from_problem(staff["writer"], problem)
    problems.edit(staff["writer"], problem, root_cause="固件缺陷")
    for step in ("find_cause", "solve"):
        problems.do_transition(staff["writer"], problem, step)
    article = articles.from_problem(staff["writer"], problem)
    assert article.problem == problem and list(problem.articles.all()) == [article]
    assert "固件缺陷" in article.body and article.category.code == "NQ.BB"
    assert [c.code for c in article.cities.all()] == ["NJ"]
    assert (
        problem.events.last().note.startswith(article.code)
        or article.code in problem.events.last().note
    )


def test_markdown_is_rendered_without_raw_html_or_script_links(staff):
    html = articles.render_markdown("**粗** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>粗</strong>" in html
    assert "<script>" not in html and 'href="javascript:' not in html


def test_past_their_validity_articles_expire_and_owners_are_reminded_once(staff):
    today = dt.date(2026, 12, 2)
    ending = write(staff, valid_until=today + dt.timedelta(days=3))
    ended = write(staff, valid_until=today - dt.timedelta(days=1))
    for article in (ending, ended):
        articles.do_transition(staff["writer"], article, "submit")
        articles.do_transition(staff["lead"], article, "publish")
    assert articles.expire_due(today) == 1
    ended.refresh_from_db()
    assert ended.state == "expired"
    assert articles.remind_expiring(today) == 1
    assert articles.remind_expiring(today) == 0
    assert Notification.objects.filter(user=staff["writer"], kind="article_expiring").count() == 1


def test_a_city_article_is_found_in_its_city_only_and_a_dated_end_must_follow_its_start(staff):
    article = write(staff, cities=[city("NJ")])
    assert [h.ref for h in search.search(staff["agent"], "光猫红灯").hits] == [article.code]
    assert search.search(staff["sz"], "光猫红灯").hits == []
    with pytest.raises(ValidationError):
        write(staff, valid_from=dt.date(2026, 12, 2), valid_until=dt.date(2026, 12, 1))


def test_article_pages_show_the_text_and_the_difference_and_refuse_a_stale_form(client, staff):
    article = write(staff)
    articles.save_text(staff["writer"], article, script="第二版口径")
    client.force_login(staff["writer"])
    url = f"/knowledge/articles/{article.pk}/"
    page = client.get(url, {"from": 1, "to": 2}).content.decode()
    assert "第二版口径" in page and 'class="added"' in page
    client.post(url, {"do": "submit", "version": 1})  # a form from before the second save
    article.refresh_from_db()
    assert article.state == "draft"
    client.post(url, {"do": "submit", "version": 2})
    article.refresh_from_db()
    assert article.state == "in_review"
    client.force_login(staff["agent"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"do": "save", "title": "x"}).status_code == 403
    assert client.get("/knowledge/articles/new/").status_code == 403


def published(staff, **fields) -> Article:
    article = write(staff, **fields)
    articles.do_transition(staff["writer"], article, "submit")
    articles.do_transition(staff["lead"], article, "publish")
    return article


def test_agents_are_offered_the_published_articles_that_fit_the_complaint(staff):
    fitting = published(staff, category=Category.objects.get(code="NQ.BB.01"))
    published(staff, cities=[city("SZ")])  # another city's
    draft = write(staff)
    expired = published(staff, valid_until=dt.date(2020, 1, 1))
    offered = articles.suggest(
        staff["agent"],
        "用户反映家里光猫红灯一直亮，无法上网",
        Category.objects.get(code="NQ.BB.01"),
    )
    assert fitting in offered
    assert draft not in offered and expired not in offered
    assert all(not a.cities.exists() or a.cities.filter(code="NJ").exists() for a in offered)
    assert offered[0] == fitting  # its own category first
    assert articles.suggest(staff["agent"], "话费账单有疑问") == []


def test_the_order_page_offers_the_script_for_the_reply_and_intake_shows_it(client, staff):
    published(staff)
    order = record(staff["agent"], description="光猫红灯闪烁，上不了网")
    client.force_login(staff["agent"])
    page = client.get(f"/complaints/orders/{order.pk}/").content.decode()
    assert 'id="suggested-articles"' in page
    assert 'data-insert-into="reply-text"' in page and "您好，请重启光猫。" in page
    hint = client.post("/complaints/intake/suggest/", {"description": "光猫红灯"}).content.decode()
    assert "光猫红灯处理口径" in hint and "data-insert-into" not in hint


def test_two_saves_from_the_same_version_the_second_is_refused(staff):
    article = write(staff)
    stale = Article.objects.get(pk=article.pk)
    articles.save_text(staff["writer"], article, script="第一处修改")
    with pytest.raises(articles.TransitionConflict):
        articles.save_text(staff["writer"], stale, script="第二处修改")
    assert list(article.versions.values_list("number", flat=True)) == [1, 2]
