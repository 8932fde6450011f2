"""Labels ordered under a programme: who may order them, and how many.

An enterprise may print a programme's mark only on the products of its current approved
application while its certificate is valid, and only up to the programme's label quota.
The codes app calls `check_programme_order` inside the transaction that makes the order.
"""

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from trustlabel.catalog.models import Product
from trustlabel.codes.models import LabelOrder

from .models import Application, Programme
from .promises import in_force


def approved_programmes(organisation_id: int, product_id: int | None = None, on_date=None):
    """The programmes in which the enterprise may order labels now (for `product_id`, or
    for any of its products)."""
    on_date = on_date or timezone.localdate()
    applications = Application.objects.filter(in_force(on_date), organisation_id=organisation_id)
    if product_id is not None:
        applications = applications.filter(covered_products__product_id=product_id)
    return Programme.objects.filter(pk__in=applications.values("programme_id")).order_by(
        "-year", "code"
    )


def labels_ordered(programme: Programme, organisation_id: int) -> int:
    total = LabelOrder.objects.filter(
        programme=programme, organisation_id=organisation_id
    ).aggregate(total=Sum("quantity"))["total"]
    return total or 0


def remaining_quota(programme: Programme, organisation_id: int) -> int | None:
    """Labels the enterprise may still order under the programme; None without a quota."""
    if programme.label_quota is None:
        return None
    return max(0, programme.label_quota - labels_ordered(programme, organisation_id))


def check_programme_order(programme: Programme, product: Product, quantity: int) -> Programme:
    """Refuse an order of `quantity` labels of `product` under `programme` unless the
    product is approved in it now and the order fits the enterprise's quota.

    Must run inside the order's transaction: the programme's row stays locked until the
    order is stored, so two orders at the same moment cannot both take the last labels.
    Returns the programme as locked."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    today = timezone.localdate()
    name = programme.display_name(get_language())
    approved = Application.objects.filter(
        in_force(today),
        programme=programme,
        organisation_id=product.organisation_id,
        covered_products__product=product,
    )
    if not approved.exists():
        raise ValidationError(
            {
                "programme": _("%(product)s is not approved in %(programme)s.")
                % {"product": product.name, "programme": name}
            }
        )
    remaining = remaining_quota(programme, product.organisation_id)
    if remaining is not None and quantity > remaining:
        raise ValidationError(
            {
                "quantity": ngettext(
                    "%(programme)s allows your enterprise %(quota)s labels; only "
                    "%(remaining)s label remains.",
                    "%(programme)s allows your enterprise %(quota)s labels; only "
                    "%(remaining)s labels remain.",
                    remaining,
                )
                % {
                    "programme": name,
                    "quota": programme.label_quota,
                    "remaining": remaining,
                }
            }
        )
    return programme
