from django.contrib import admin

from sqm.core.admin import ModelAdmin
from sqm.notify.models import SmsTemplate


@admin.register(SmsTemplate)
class SmsTemplateAdmin(ModelAdmin):
    list_display = ["kind", "active", "text"]
    list_filter = ["active"]
