"""The base of every domain's admin pages."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.db import DataError
from django.http import HttpResponseRedirect


class ModelAdmin(admin.ModelAdmin):
    """Django's ModelAdmin, with a list filter value too large for the database (a foreign
    key `?city=99999999999999999999` overflows the database's integers) treated like any other bad
    filter: back to the list with Django's "bad filter" flag, not a server error."""

    def changelist_view(self, request, extra_context=None):
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # the list's query runs while rendering
        except (OverflowError, DataError):  # SQLite, PostgreSQL
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return response
