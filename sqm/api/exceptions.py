from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class Conflict(APIException):
    """The request is valid but the object's current state forbids it (e.g. still in use)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The object is still in use and cannot be changed this way.")
    default_code = "conflict"
