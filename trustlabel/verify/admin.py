from django.contrib import admin

from trustlabel.accounts.admin import ReadOnlyAdmin

from .models import ScanLog


@admin.register(ScanLog)
class ScanLogAdmin(ReadOnlyAdmin):
    """The scan log is append-only: the association can read it, nobody can change it."""

    list_display = ["checked_at", "verdict", "channel", "organisation", "order", "lat", "lon"]
    list_filter = ["verdict", "channel", "organisation"]
    list_select_related = ["organisation", "order"]
    date_hierarchy = "checked_at"
