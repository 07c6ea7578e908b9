"""Row-level scoping: every query a user makes is limited to their cities inside the SQL."""

from __future__ import annotations

from django.db import models


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> RestrictedQuerySet:
        """Rows USER may ACTION (view, add, change, delete, or a custom codename).

        No permission → nothing. Users bound to cities see only rows whose city path
        (the model's `city_path`) is one of theirs; the filter is part of the same SQL
        statement (the user's city ids, read once per user object), never a Python-side
        filter.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        meta = self.model._meta
        codename = action if "_" in action else f"{action}_{meta.model_name}"
        if not user.has_perm(f"{meta.app_label}.{codename}"):
            return self.none()
        if user.is_superuser or getattr(user, "all_cities", False):
            return self
        city_path = getattr(self.model, "city_path", None)
        if city_path is None:
            return self
        mine = models.Q(**{f"{city_path}__in": sorted(user.city_ids())})
        if getattr(self.model, "province_wide_when_no_city", False):
            # Rows of no city (a problem spanning cities) are the whole province's.
            mine |= models.Q(**{f"{city_path}__isnull": True})
        return self.filter(mine)


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
