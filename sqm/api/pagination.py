"""Limit/offset pagination that never echoes personal data back in its links."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from sqm.core.crypto import lookup_hash

# Query parameters that carry plaintext personal data, and the parameter that takes their
# lookup hash instead. next/previous links repeat the query string; they get the hash.
PERSONAL_QUERY_PARAMS = {"mobile": "mobile_hash", "id_number": "id_number_hash"}


class Pagination(LimitOffsetPagination):
    max_limit = 1000

    def get_next_link(self) -> str | None:
        return self._without_personal_data(super().get_next_link())

    def get_previous_link(self) -> str | None:
        return self._without_personal_data(super().get_previous_link())

    def _without_personal_data(self, url: str | None) -> str | None:
        if url is None:
            return None
        for param, hashed in PERSONAL_QUERY_PARAMS.items():
            value = self.request.query_params.get(param)
            if value is not None:
                url = remove_query_param(url, param)
                url = replace_query_param(url, hashed, lookup_hash(value))
        return url
