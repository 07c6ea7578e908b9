"""Texts of third-party apps that have no Chinese of their own, kept in our catalogue.

django-axes ships no zh-hans translation, so its admin section (访问尝试 lists, filters,
field names) and the permission names made from its models' verbose names read in English.
Our catalogue (LOCALE_PATHS) is searched before the apps' own, so a msgid that matches
axes' exactly is translated from ours. makemessages keeps only the msgids it finds in our
source: they are marked here with gettext_noop (never called at run time). Keep them
identical to axes' (axes/models.py, axes/admin.py) when upgrading it.
"""

from django.utils.translation import gettext_noop

AXES_STRINGS = (
    # model names (the admin's section and the permission names: 新增登录尝试)
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    # field names (the admin's columns, filters and forms)
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    # the admin's filter, fieldsets, action and status column
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
)
