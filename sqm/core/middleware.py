from __future__ import annotations

import uuid

from django.utils.cache import add_never_cache_headers, patch_cache_control

from sqm.core import context


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    """Gives each request an id (or keeps the proxy's X-Request-ID) and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = (
            incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        )
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class CurrentUserMiddleware:
    """Makes the user and request id known to the change log and audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if request.user.is_authenticated else None
        with context.acting_as(user, request_id=request.request_id, ip=client_ip(request)):
            return self.get_response(request)


class PrivateResponsesMiddleware:
    """Responses to logged-in users are never stored by browsers or proxies.

    Pages and API answers carry customer data (masked, or revealed after an audited
    request); a shared workstation's cache or a proxy must not keep a copy.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
