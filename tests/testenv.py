"""Test environment, set before Django loads its settings.

Tests get their own SQM_HOME (keys, media, job storage) under var/test-<worker>, and
background jobs run inline.
"""

import os
import tempfile

os.environ.setdefault("SQM_HOME", tempfile.mkdtemp(prefix="sqm-test-home-"))
os.environ.setdefault("SQM_JOBS_IMMEDIATE", "1")
