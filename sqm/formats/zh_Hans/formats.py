"""Simplified Chinese formats: Django's, but numbers grouped by thousands with "," (20,000).

Django's zh_Hans sets no separator (and groups by 4), so `intcomma` printed 20000; Chinese
business software and our charts (ECharts) group by thousands with a comma.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403 - Django's, then ours

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
