"""Files browsers ask for at fixed addresses, outside STATIC_URL."""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe


@cache
def _favicon() -> bytes | None:
    path = finders.find("sqm/favicon.ico")
    return open(path, "rb").read() if path else None  # noqa: SIM115 - read once, cached


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers fetch /favicon.ico on every first visit whatever the page links; answering it
    # keeps 404s out of the logs and gives the tab its icon.
    body = _favicon()
    if body is None:
        raise Http404
    response = HttpResponse(body, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
