from django.contrib import admin

from trustlabel.accounts.admin import ReadOnlyAdmin

from .models import Member


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    """Read-only: the register is kept in the portal, where its rules are."""

    list_display = ["organisation", "uscc", "region", "industry", "status", "expires_on"]
    list_filter = ["status", "industry"]
    search_fields = ["organisation__name", "organisation__name_en", "uscc"]
