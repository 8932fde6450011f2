"""Enterprise portal pages of the catalogue: products, lots and inspection reports."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor, require_enterprise, scoped
from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import list_page, portal_page, posted

from . import actions
from .forms import LotForm, ProductEditForm, ProductForm, ReportForm
from .models import InspectionReport, Lot, Product


def visible_products(actor: Actor):
    return scoped(actor, Product.objects.select_related("organisation"))


def visible_lots(actor: Actor):
    return scoped(actor, Lot.objects.select_related("product"), "product__organisation")


def visible_reports(actor: Actor):
    return scoped(
        actor,
        InspectionReport.objects.select_related("lot__product__organisation"),
        "lot__product__organisation",
    )


def _require_manage(actor: Actor, organisation_id: int) -> None:
    """The association reads every enterprise's catalogue but changes none."""
    if not actor.can_manage(organisation_id):
        raise PermissionDenied


@portal_page
def products(request):
    rows = visible_products(request.actor).annotate(lot_count=Count("lots")).order_by("name", "pk")
    return list_page(request, "catalog/products.html", rows)


@portal_page
def product_create(request):
    actor = require_enterprise(request.actor)
    form = ProductForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            product = actions.do_create_product(
                actor.organisation,
                data["gtin"],
                data["name"],
                name_en=data["name_en"],
                specification=data["specification"],
                standard_number=data["standard_number"],
                standard_name=data["standard_name"],
                image=data["image"],
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The product is registered."))
            return redirect("catalog:product", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "product": None})


@portal_page
def product_detail(request, pk: int):
    product = get_object_or_404(visible_products(request.actor), pk=pk)
    lots = product.lots.annotate(report_count=Count("reports")).order_by(*Lot._meta.ordering)
    orders = product.label_orders.select_related("lot")[:20]
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "lots": lots,
            "orders": orders,
            "can_manage": request.actor.can_manage(product.organisation_id),
        },
    )


@portal_page
def product_edit(request, pk: int):
    product = get_object_or_404(visible_products(request.actor), pk=pk)
    _require_manage(request.actor, product.organisation_id)
    form = ProductEditForm.for_product(product, posted(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_product(product, **form.cleaned_data)
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The product is saved."))
            return redirect("catalog:product", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "product": product})


@portal_page
def lot_create(request, pk: int):
    product = get_object_or_404(visible_products(request.actor), pk=pk)
    _require_manage(request.actor, product.organisation_id)
    form = LotForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lot = actions.do_create_lot(
                product,
                data["lot_number"],
                data["production_date"],
                data["quantity"],
                data["factory"],
                data["expiry_date"],
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The lot is recorded."))
            return redirect("catalog:lot", pk=lot.pk)
    return render(request, "catalog/lot_form.html", {"form": form, "product": product})


@portal_page
def lot_detail(request, pk: int):
    lot = get_object_or_404(visible_lots(request.actor), pk=pk)
    return render(
        request,
        "catalog/lot_detail.html",
        {
            "lot": lot,
            "product": lot.product,
            "reports": lot.reports.all(),
            "orders": lot.label_orders.select_related("product"),
            "can_manage": request.actor.can_manage(lot.product.organisation_id),
        },
    )


@portal_page
def report_create(request, pk: int):
    lot = get_object_or_404(visible_lots(request.actor), pk=pk)
    _require_manage(request.actor, lot.product.organisation_id)
    form = ReportForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_attach_report(
                lot,
                data["report_number"],
                data["result"],
                data["inspector_name"],
                data["inspected_on"],
                data["file"],
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The inspection report is attached."))
            return redirect("catalog:lot", pk=lot.pk)
    return render(request, "catalog/report_form.html", {"form": form, "lot": lot})


@portal_page
def reports(request):
    rows = visible_reports(request.actor)
    return list_page(request, "catalog/reports.html", rows, "lot__product__organisation")


@portal_page
def report_download(request, pk: int):
    report = get_object_or_404(visible_reports(request.actor), pk=pk)
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=f"{report.report_number}.pdf",
        content_type="application/pdf",
    )
