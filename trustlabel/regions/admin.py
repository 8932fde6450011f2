from django.contrib import admin

from .models import Division, SalesRegion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Division)
class DivisionAdmin(ReadOnlyAdmin):
    """The official list, loaded from data/divisions.csv."""

    list_display = ["code", "name", "name_en", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name", "name_en"]


@admin.register(SalesRegion)
class SalesRegionAdmin(ReadOnlyAdmin):
    """Changed in the portal (or the API), where the rules for them are kept."""

    list_display = ["organisation", "division", "created_at"]
    list_select_related = ["organisation", "division"]
    list_filter = ["organisation"]
    search_fields = ["organisation__name", "division__code", "division__name"]
