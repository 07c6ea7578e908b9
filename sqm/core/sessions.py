"""Session inactivity expiry without a database write on every request.

SESSION_SAVE_EVERY_REQUEST would write the session row on each page, and on SQLite every
write waits for the one write lock (an import holding it would stall every page). Instead a
session is saved when it changed, and otherwise refreshed (its expiry pushed on by
SESSION_COOKIE_AGE) only when its last refresh is more than SQM_SESSION_REFRESH_SECONDS
old. A session so ends between SESSION_COOKIE_AGE minus that margin and SESSION_COOKIE_AGE
after the last request (docs/operations.md, "Sessions").
"""

from __future__ import annotations

import time

from django.conf import settings

# Where the session keeps the time (Unix seconds) it was last saved by this middleware.
REFRESHED = "_sqm_refreshed"


class SessionRefreshMiddleware:
    """Goes right after SessionMiddleware: marks a live session modified when due, so the
    session middleware saves it (and renews its expiry) on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None:
            return response  # no session, or one just flushed (logout)
        now = int(time.time())
        if not session.modified:
            if not session.keys():
                return response  # a stale cookie: no session to renew
            if now - session.get(REFRESHED, 0) <= settings.SQM_SESSION_REFRESH_SECONDS:
                return response  # renewed recently enough: no write
        session[REFRESHED] = now  # marks it modified: saved with a new expiry
        return response
