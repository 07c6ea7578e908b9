"""Periodic jobs of the knowledge domain (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sqm.knowledge import articles, attachments, index


@db_periodic_task(crontab(minute="5", hour="0"))
def expire_articles() -> int:
    """Every night: articles past their validity leave the agents' suggestions."""
    return articles.expire_due()


@db_periodic_task(crontab(minute="0", hour="8"))
def remind_article_owners() -> int:
    """Every morning: owners hear of their articles ending within a week (once)."""
    return articles.remind_expiring()


@db_task()
def read_attachment(pk: int) -> None:
    """Right after an attachment is stored: read its text."""
    attachments.read(pk)


@db_periodic_task(crontab(minute="*"))
def read_pending_attachments() -> int:
    """Every minute: what the immediate job missed (a worker down, an import)."""
    return attachments.sweep()


@db_periodic_task(crontab(minute="*/5"))
def catch_up_search() -> dict[str, int]:
    """Every five minutes: index what imports wrote in bulk (and a new dictionary's cuts)."""
    return index.catch_up()
