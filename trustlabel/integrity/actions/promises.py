"""What consumers tell the association about promises not kept."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from trustlabel.catalog.models import Product
from trustlabel.verify.core import requester_hash

from ..models import Application, PromiseReport

MAX_TEXT = PromiseReport._meta.get_field("text").max_length
MAX_CONTACT = PromiseReport._meta.get_field("contact").max_length


def do_report_broken_promise(
    application: Application,
    product: Product,
    text: str,
    contact: str,
    client_ip: str,
    order=None,
    serial: int | None = None,
) -> PromiseReport:
    """Record a consumer's "this product does not keep its promise" about one product of
    an approved application; the complaint workflow takes it from here. The consumer is
    kept only as a keyed hash of their address (to tell repeat reporters apart), and the
    contact they chose to give, which only the association sees."""
    text, contact = (text or "").strip(), (contact or "").strip()
    errors = {}
    if not text:
        errors["text"] = _("Say what is wrong: which promise the product does not keep, and how.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("Please keep it under %(max)s characters (now %(n)s).") % {
            "max": MAX_TEXT,
            "n": len(text),
        }
    if len(contact) > MAX_CONTACT:
        errors["contact"] = _("Please keep it under %(max)s characters (now %(n)s).") % {
            "max": MAX_CONTACT,
            "n": len(contact),
        }
    if errors:
        raise ValidationError(errors)
    covers = application.status == Application.Status.APPROVED and (
        application.covered_products.filter(product=product).exists()
    )
    if not covers:
        raise ValidationError(_("This product made no promise under this programme."))
    if order is not None and order.product_id != product.pk:
        raise ValidationError(_("The label checked is not a label of this product."))
    return PromiseReport.objects.create(
        application=application,
        product=product,
        order=order,
        serial=serial if order is not None else None,
        text=text,
        contact=contact,
        requester_hash=requester_hash(client_ip),
    )
