from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomerType(models.TextChoices):
    PUBLIC = "public", _("public customer")
    GROUP = "group", _("group customer")


class Tier(models.TextChoices):
    NORMAL = "normal", _("normal")
    SILVER = "silver", _("silver")
    GOLD = "gold", _("gold")
    DIAMOND = "diamond", _("diamond")


class Service(models.TextChoices):
    # In context: the quality indicators name products with the same words.
    BROADBAND = "broadband", pgettext_lazy("service", "broadband")
    MOBILE = "mobile", pgettext_lazy("service", "mobile")
    DEDICATED_VOICE = "dedicated_voice", pgettext_lazy("service", "dedicated voice")
    DEDICATED_DATA = "dedicated_data", pgettext_lazy("service", "dedicated data")
    DEDICATED_INTERNET = "dedicated_internet", pgettext_lazy("service", "dedicated internet")
    IPTV = "iptv", pgettext_lazy("service", "IPTV")


class AccountStatus(models.TextChoices):
    # 在用 (in use): 正常 is what a network element or an SLA clock says.
    ACTIVE = "active", pgettext_lazy("account status", "in use")
    SUSPENDED = "suspended", pgettext_lazy("account status", "suspended")
    CLOSED = "closed", pgettext_lazy("account status", "closed")
