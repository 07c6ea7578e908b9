from __future__ import annotations

import re
import uuid

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _

from sqm.core import context
from sqm.core.masking import mask_numbers


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# A client's X-Request-ID is kept only in this shape; anything else (spaces, control or
# non-ASCII characters, 200 characters of junk) is dropped, and so is an id that holds a
# mobile or ID number, which would otherwise reach the change log in clear.
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def well_formed_request_id(value: str) -> bool:
    return bool(CLIENT_REQUEST_ID.fullmatch(value)) and mask_numbers(value) == value


class RequestIdMiddleware:
    """Gives each request the server's own id, keeps a well-formed client X-Request-ID beside it.

    `request.request_id` (echoed back, used by the change log) is the client's id when it is
    well-formed, else the server's; the audit log always records `server_request_id`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.server_request_id = uuid.uuid4().hex
        request.client_request_id = incoming if well_formed_request_id(incoming) else ""
        request.request_id = request.client_request_id or request.server_request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class CurrentUserMiddleware:
    """Makes the user and request id known to the change log and audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if request.user.is_authenticated else None
        with context.acting_as(
            user,
            request_id=request.request_id,
            ip=client_ip(request),
            server_request_id=request.server_request_id,
        ):
            return self.get_response(request)


class RefuseNulMiddleware:
    """A NUL character in a query parameter is a 400: no field of ours holds one, and
    PostgreSQL refuses it in any statement, so every view filtering by the parameter would
    answer with a 500. Forms and serializers refuse NUL in bodies themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                message = _("A query parameter holds a NUL character.")
                if request.path.startswith("/api/"):  # the API's error shape: field → messages
                    return JsonResponse({key.replace("\x00", "") or "-": [message]}, status=400)
                return HttpResponseBadRequest(message, content_type="text/plain")
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
