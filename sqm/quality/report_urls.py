"""The monthly report's pages (mounted under /quality/reports/ by quality.urls)."""

urlpatterns: list = []
