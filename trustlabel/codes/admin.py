from django.contrib import admin

from .models import Export, KeyVersion, LabelOrder


@admin.register(KeyVersion)
class KeyVersionAdmin(admin.ModelAdmin):
    """Key versions are made and retired with `trustlabel rotate_keys`; the secret is
    never shown, not even wrapped."""

    list_display = ["version", "is_active", "next_serial", "created_at", "retired_at"]
    fields = [
        "version",
        "is_active",
        "next_serial",
        "master_fingerprint",
        "created_at",
        "retired_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LabelOrder)
class LabelOrderAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "organisation",
        "product",
        "lot",
        "quantity",
        "layout",
        "key_version",
        "created_at",
    ]
    list_filter = ["layout", "organisation"]
    list_select_related = ["organisation", "product", "lot"]
    readonly_fields = [
        "organisation",
        "product",
        "lot",
        "quantity",
        "layout",
        "key_version",
        "serial_start",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # orders allocate serials: only through the portal or the API


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["pk", "order", "format", "status", "done", "created_at", "expires_at"]
    list_filter = ["status", "format"]
    readonly_fields = [
        "order",
        "format",
        "status",
        "done",
        "file_name",
        "size",
        "error",
        "requested_by",
        "created_at",
        "finished_at",
        "expires_at",
        "downloaded_at",
    ]

    def has_add_permission(self, request):
        return False
