"""OpenAPI schema generation: the error responses every client must expect, documented once."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What went wrong, in the user's language."))


# DRF answers invalid input with {"field": ["message", …], …}.
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "description": _("Messages by field name; `non_field_errors` for the input as a whole."),
}


class AutoSchema(openapi.AutoSchema):
    """Adds 400/401/403/404 to each operation that can answer them."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _error_responses(self) -> list[tuple[str, OpenApiResponse]]:
        errors = []
        takes_input = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer()
        filtered = self.method == "GET" and self._is_list_view() and self.get_filter_backends()
        if takes_input or filtered:
            errors.append(("400", OpenApiResponse(VALIDATION_ERROR, _("Invalid input."))))
        if self._needs_authentication():
            errors.append(
                ("401", OpenApiResponse(ErrorSerializer, _("No or invalid credentials.")))
            )
            errors.append(("403", OpenApiResponse(ErrorSerializer, _("Permission denied."))))
        if "{" in self.path:
            errors.append(
                (
                    "404",
                    OpenApiResponse(
                        ErrorSerializer, _("No such object, or not in one of your cities.")
                    ),
                )
            )
        return errors

    def _needs_authentication(self) -> bool:
        classes = getattr(self.view, "permission_classes", ())
        return any(not issubclass(cls, AllowAny) for cls in classes)


class SingleAnswerSchema(AutoSchema):
    """For a `list` action that answers one object (a search, a drill-down), not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
