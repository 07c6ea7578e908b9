from django.contrib import admin

from sqm.notify.models import SmsTemplate


@admin.register(SmsTemplate)
class SmsTemplateAdmin(admin.ModelAdmin):
    list_display = ["kind", "active", "text"]
    list_filter = ["active"]
