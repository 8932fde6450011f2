from django.contrib import admin

from trustlabel.accounts.admin import ReadOnlyAdmin

from .models import Division, SalesRegion


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
