from django.contrib import admin

from .models import InspectionReport, Lot, Product


class LotInline(admin.TabularInline):
    model = Lot
    extra = 0
    fields = ["lot_number", "production_date", "expiry_date", "quantity", "factory"]
    show_change_link = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "gtin", "organisation", "standard_number", "created_at"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name", "name_en", "gtin"]
    inlines = [LotInline]


class ReportInline(admin.TabularInline):
    model = InspectionReport
    extra = 0
    fields = ["report_number", "result", "inspector_name", "inspected_on", "file", "sha256"]
    readonly_fields = ["sha256"]


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["lot_number", "product", "production_date", "expiry_date", "quantity"]
    list_select_related = ["product"]
    search_fields = ["lot_number", "product__name", "product__gtin"]
    inlines = [ReportInline]


@admin.register(InspectionReport)
class InspectionReportAdmin(admin.ModelAdmin):
    list_display = ["report_number", "lot", "result", "inspector_name", "inspected_on"]
    list_filter = ["result"]
    list_select_related = ["lot__product"]
    readonly_fields = ["sha256"]
