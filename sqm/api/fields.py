"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from rest_framework import serializers

from sqm.core.inputs import MOMENT_RANGE_MESSAGE, storable_moment


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time of the years 1901–9998 (see core.inputs.storable_moment):
    the ends of the calendar at an offset would overflow when the database converts them."""

    default_error_messages = {"range": MOMENT_RANGE_MESSAGE}

    def to_internal_value(self, value):
        try:
            moment = super().to_internal_value(value)
        except OverflowError:  # a naive far end made aware in the current time zone
            self.fail("range")
        if not storable_moment(moment):
            self.fail("range")
        return moment
