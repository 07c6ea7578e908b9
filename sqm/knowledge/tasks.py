"""Periodic jobs of the knowledge domain (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sqm.knowledge import articles


@db_periodic_task(crontab(minute="5", hour="0"))
def expire_articles() -> int:
    """Every night: articles past their validity leave the agents' suggestions."""
    return articles.expire_due()


@db_periodic_task(crontab(minute="0", hour="8"))
def remind_article_owners() -> int:
    """Every morning: owners hear of their articles ending within a week (once)."""
    return articles.remind_expiring()
