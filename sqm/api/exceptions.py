from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler

from sqm.core.exceptions import LimitReached


class Conflict(APIException):
    """The request is valid but the object's current state forbids it (e.g. still in use)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The object is still in use and cannot be changed this way.")
    default_code = "conflict"


class TooManyRequests(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Limit reached; try again later.")
    default_code = "limit_reached"


def handler(exc, context):
    """DRF's handler, keeping the message of a service's PermissionDenied (DRF would answer
    with its generic text) and answering a used-up per-user limit with 429."""
    if isinstance(exc, LimitReached):
        exc = TooManyRequests(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied) and exc.args:
        exc = exceptions.PermissionDenied(str(exc))
    return exception_handler(exc, context)
