"""Every write to the catalogue: products, lots, inspection reports."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from trustlabel.accounts.models import Organisation
from trustlabel.ledger import records as ledger
from trustlabel.storage import file_sha256

from .gtin import normalise_gtin
from .models import InspectionReport, Lot, Product

MAX_REPORT_BYTES = 20 * 1024 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024


@transaction.atomic
def do_create_product(
    organisation: Organisation,
    gtin: str,
    name: str,
    name_en: str = "",
    specification: str = "",
    standard_number: str = "",
    standard_name: str = "",
    image=None,
) -> Product:
    if not organisation.is_enterprise:
        raise ValidationError(_("Only an enterprise can register products."))
    product = Product(
        organisation=organisation,
        gtin=normalise_gtin(gtin),
        name=name.strip(),
        name_en=name_en.strip(),
        specification=specification.strip(),
        standard_number=standard_number.strip(),
        standard_name=standard_name.strip(),
    )
    if image is not None:
        if image.size > MAX_IMAGE_BYTES:
            raise ValidationError({"image": _("The image is larger than 5 MB.")}, code="too_large")
        product.image = image
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def do_update_product(product: Product, **fields) -> Product:
    renamed = False
    for name, value in fields.items():
        if name not in {"name", "name_en", "specification", "standard_number", "standard_name"}:
            raise ValueError(name)
        value = value.strip()
        renamed |= name in ("name", "name_en") and getattr(product, name) != value
        setattr(product, name, value)
    product.full_clean()
    product.save()
    if renamed:  # the directory lists products by their names
        from trustlabel.integrity import directory  # integrity builds on the catalogue

        directory.refresh_enterprise(product.organisation_id)
    return product


@transaction.atomic
def do_create_lot(
    product: Product,
    lot_number: str,
    production_date: dt.date,
    quantity: int,
    factory: str,
    expiry_date: dt.date | None = None,
) -> Lot:
    lot = Lot(
        product=product,
        lot_number=lot_number.strip(),
        production_date=production_date,
        expiry_date=expiry_date,
        quantity=quantity,
        factory=factory.strip(),
    )
    lot.full_clean()
    lot.save()
    return lot


def check_pdf(upload) -> None:
    """A report must be a real PDF of reasonable size; say so plainly when it is not."""
    if upload.size > MAX_REPORT_BYTES:
        raise ValidationError(_("The report file is larger than 20 MB."), code="too_large")
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError(_("The report file is not a PDF."), code="not_pdf")


@transaction.atomic
def do_attach_report(
    lot: Lot,
    report_number: str,
    result: str,
    inspector_name: str,
    inspected_on: dt.date,
    upload,
) -> InspectionReport:
    check_pdf(upload)
    report = InspectionReport(
        lot=lot,
        report_number=report_number.strip(),
        result=result,
        inspector_name=inspector_name.strip(),
        inspected_on=inspected_on,
        sha256=file_sha256(upload),
    )
    report.file = upload
    report.full_clean()
    report.save()
    ledger.inspection_report_attached(report)
    return report
