"""Exceptions every layer understands: pages and the API answer them with the same status."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class LimitReached(PermissionDenied):
    """A per-user limit is used up (e.g. look-ups by number per hour): 429, not 403."""

    status_code = 429


def refusal_status(exc: Exception) -> int:
    """The HTTP status of a service's refusal: 429 for a used-up limit, else 403."""
    return getattr(exc, "status_code", 403)
