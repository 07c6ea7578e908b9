"""Test environment, set before Django loads its settings.

Tests get their own SQM_HOME (keys, media, job storage) under var/test-<worker>, and
background jobs run inline.
"""

import os
import tempfile

os.environ.setdefault("SQM_HOME", tempfile.mkdtemp(prefix="sqm-test-home-"))
os.environ.setdefault("SQM_JOBS_IMMEDIATE", "1")

# CI runs the same Hypothesis examples every time (a red build must be reproducible);
# local runs keep exploring new examples.
if os.environ.get("CI"):
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
    hypothesis_settings.load_profile("ci")
