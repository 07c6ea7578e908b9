from django.contrib import admin

from sqm.complaints.models import Category, ComplaintCause, Department, SlaPolicy, WorkOrder
from sqm.core.admin import ModelAdmin


@admin.register(Department)
class DepartmentAdmin(ModelAdmin):
    list_display = ["code", "name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["members"]


@admin.register(ComplaintCause)
class ComplaintCauseAdmin(ModelAdmin):
    list_display = ["title", "kind", "city", "started_at", "ended_at", "reference"]
    list_filter = ["kind", "city"]
    search_fields = ["title", "reference"]
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["code", "path", "level", "need_area", "department", "active"]
    list_filter = ["level", "need_area", "department", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "department"]
    readonly_fields = ["level"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ModelAdmin):
    list_display = [
        "name",
        "category",
        "tier",
        "upgraded",
        "response_hours",
        "resolution_hours",
        "callback_hours",
        "working_time",
        "active",
    ]
    list_filter = ["working_time", "active", "tier", "upgraded"]
    autocomplete_fields = ["category"]


@admin.register(WorkOrder)
class WorkOrderAdmin(ModelAdmin):
    """Read-only for administrators: work orders change only through do_transition."""

    list_display = ["number", "state", "category", "city", "upgraded", "resolve_due"]
    list_filter = ["state", "upgraded", "city"]
    search_fields = ["number"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
