from django.contrib import admin

from sqm.core.admin import ModelAdmin
from sqm.network.models import FaultType


@admin.register(FaultType)
class FaultTypeAdmin(ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "script"]
