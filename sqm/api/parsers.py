"""The API's JSON parser: malformed input of any kind is a 400, never a 500."""

from __future__ import annotations

import codecs

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant

from sqm.core.inputs import loads_json


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but nesting deeper than the recursion limit (100,000 `[`) and lone
    surrogates ("\\ud800", which no database encodes) are parse errors like a missing brace."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            constant = strict_constant if api_settings.STRICT_JSON else None
            return loads_json(text, parse_constant=constant)
        except ValueError as exc:  # also UnicodeDecodeError
            raise ParseError(_("Malformed JSON: %(reason)s") % {"reason": exc}) from None
