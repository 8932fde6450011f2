from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiKey, Organisation, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records nobody changes in the admin: append-only logs, official lists, and
    what has its rules in the portal."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "kind", "gln", "region", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en", "gln"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "organisation", "role", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "organisation__kind", "is_active", "is_staff"]
    list_select_related = ["organisation"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Organisation"), {"fields": ["organisation", "role"]}),
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made by their organisation's admin in the portal; here they can be seen
    and revoked, never read: only a hash is stored."""

    list_display = [
        "name",
        "organisation",
        "role",
        "hint",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["role", "organisation__kind"]
    list_select_related = ["organisation"]
    readonly_fields = [
        "organisation",
        "name",
        "role",
        "hint",
        "created_by",
        "created_at",
        "last_used_at",
    ]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request):
        return False
