"""Core actions that pages, the API and commands share."""

from __future__ import annotations

from django.utils import timezone

from sqm.core.models import Alert, Notification


def acknowledge_alert(user, alert: Alert) -> Alert:
    """Mark ALERT as seen by USER. The first acknowledgement stands; repeating it is harmless."""
    Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert


def mark_notifications_read(user) -> int:
    """Mark all of USER's unread notifications read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
