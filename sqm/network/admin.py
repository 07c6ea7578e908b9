from django.contrib import admin

from sqm.network.models import FaultType


@admin.register(FaultType)
class FaultTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "script"]
