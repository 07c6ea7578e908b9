from django.contrib import admin

from sqm.complaints.models import Category, Department


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "path", "level", "need_area", "department", "active"]
    list_filter = ["level", "need_area", "department", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "department"]
    readonly_fields = ["level"]
