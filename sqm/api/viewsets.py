"""Shared pieces of the API viewsets."""

from __future__ import annotations

from contextlib import AbstractContextManager

from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from rest_framework import viewsets

from sqm.api.exceptions import Conflict
from sqm.api.pagination import Pagination
from sqm.api.schema import AutoSchema
from sqm.core.context import acting_as
from sqm.core.middleware import client_ip


class ActingUserMixin:
    """Attributes API writes to the authenticated user in the change log.

    CurrentUserMiddleware runs before DRF authenticates a token, so for token requests it
    only knows an anonymous user; the viewset names the actor itself once DRF knows it.
    """

    def acting(self) -> AbstractContextManager:
        request = self.request
        return acting_as(
            request.user,
            request_id=getattr(request, "request_id", None),
            ip=client_ip(request),
        )

    def perform_create(self, serializer) -> None:
        with self.acting():
            super().perform_create(serializer)

    def perform_update(self, serializer) -> None:
        with self.acting():
            super().perform_update(serializer)

    def perform_destroy(self, instance) -> None:
        try:
            with self.acting():
                super().perform_destroy(instance)
        except ProtectedError as exc:
            raise Conflict(
                _("%(object)s is still in use (e.g. by accounts) and cannot be deleted.")
                % {"object": instance}
            ) from exc


# Base classes carry no docstring: the schema would show it for every endpoint.
class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = Pagination
    schema = AutoSchema()


class ModelViewSet(ActingUserMixin, viewsets.ModelViewSet):
    pagination_class = Pagination
    schema = AutoSchema()
