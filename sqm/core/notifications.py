"""In-app notifications: what a person must act on, each leading to the thing to act on.

Core knows no domain. A domain registers a renderer per notification KIND (a function from
the stored parameters to a sentence, called in the reader's language when the list is shown)
and calls `notify` with the people, the kind, an internal link and the parameters. Only
parameters are stored, never a finished sentence: a Chinese reader reads Chinese even when
an English-speaking job wrote the notification.

Dedup: a person has at most one unread notification per (kind, link). Telling them again
refreshes that one (its time and parameters) instead of adding a second; the partial unique
index `notification_one_unread` holds it under concurrent writers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from sqm.core.models import Notification

Renderer = Callable[[dict], str]
_RENDERERS: dict[str, Renderer] = {}


def register(kind: str, renderer: Renderer) -> None:
    """Let KIND's notifications be rendered by RENDERER (called at display time)."""
    _RENDERERS[kind] = renderer


def render(notification: Notification) -> str:
    """NOTIFICATION as a sentence in the active language; the stored text for unknown kinds
    (or parameters a renderer cannot use: a list must never fail on one odd row)."""
    renderer = _RENDERERS.get(notification.kind)
    if renderer is not None:
        try:
            return renderer(notification.params or {})
        except (KeyError, TypeError, ValueError):
            pass
    return notification.text


def is_internal_path(link: str) -> bool:
    """Whether LINK is a path on this site ("/…"): never a scheme, a host, "//host" or
    "/\\host", which browsers would follow elsewhere."""
    if not link or not link.startswith("/") or link.startswith(("//", "/\\")):
        return False
    if any(ch in link for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in link):
        return False
    return url_has_allowed_host_and_scheme(link, allowed_hosts=set(), require_https=False)


@dataclass(frozen=True)
class Notice:
    """One notification to write: who, what kind, where it leads, its parameters."""

    user_id: int
    kind: str
    link: str
    params: dict


def notify(users: Iterable, kind: str, link: str, params: dict | None = None) -> int:
    """Tell USERS (users or None, repeats allowed) about KIND at LINK. Returns how many."""
    seen: set[int] = set()
    notices = []
    for user in users:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            notices.append(Notice(user.pk, kind, link, dict(params or {})))
    return write(notices)


def write(notices: list[Notice]) -> int:
    """Write NOTICES: refresh each one that is already unread, create the others."""
    if not notices:
        return 0
    for notice in notices:
        if not is_internal_path(notice.link):
            raise ValueError(f"A notification links to a path on this site, not {notice.link!r}.")
    now = timezone.now()
    # Three IN lists rather than one OR per notice (SQLite limits an expression's depth);
    # the few extra rows they match are ignored by the key look-up below.
    unread = {
        (user_id, kind, link): pk
        for pk, user_id, kind, link in Notification.objects.filter(
            user_id__in={n.user_id for n in notices},
            kind__in={n.kind for n in notices},
            link__in={n.link for n in notices},
            read_at__isnull=True,
        ).values_list("pk", "user_id", "kind", "link")
    }
    fresh = []
    for notice in notices:
        pk = unread.get((notice.user_id, notice.kind, notice.link))
        # Refresh only while still unread: read meanwhile, the news needs a new notification.
        refreshed = pk is not None and (
            Notification.objects.filter(pk=pk, read_at__isnull=True).update(
                time=now, params=notice.params
            )
        )
        if not refreshed:
            fresh.append(
                Notification(
                    user_id=notice.user_id, kind=notice.kind, link=notice.link, params=notice.params
                )
            )
    # A notice written meanwhile by another process wins; ours is then a repeat.
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(notices)


def mark_read(kind: str, link: str, users: Iterable | None = None) -> int:
    """Mark the unread KIND notifications at LINK read — of USERS, or of everyone — when
    what they asked for was taken care of (someone took the order on, it was closed)."""
    unread = Notification.objects.filter(kind=kind, link=link, read_at__isnull=True)
    if users is not None:
        unread = unread.filter(user__in=users)
    return unread.update(read_at=timezone.now())


def open_notification(user, pk: int, *, mark_read: bool = True) -> str | None:
    """Where USER's notification PK leads (None when its link is not a path on this site),
    marking it read unless MARK_READ is false. Notification.DoesNotExist for anyone else's."""
    notification = Notification.objects.get(pk=pk, user=user)
    if mark_read and notification.read_at is None:
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    return notification.link if is_internal_path(notification.link) else None
