from django.contrib import admin

from .models import ScanLog


@admin.register(ScanLog)
class ScanLogAdmin(admin.ModelAdmin):
    """The scan log is append-only: the association can read it, nobody can change it."""

    list_display = ["checked_at", "verdict", "channel", "organisation", "order", "lat", "lon"]
    list_filter = ["verdict", "channel", "organisation"]
    list_select_related = ["organisation", "order"]
    date_hierarchy = "checked_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
