"""Every write to the key ring, label orders and exports."""

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor
from trustlabel.catalog.models import Lot, Product

from . import keys
from .codec import MAX_SERIALS_PER_VERSION
from .keyring import load_master_key, master_fingerprint, new_secret, wrap_secret
from .models import Export, KeyVersion, LabelOrder

log = logging.getLogger(__name__)


class KeyRingExhausted(Exception):
    pass


@transaction.atomic
def do_rotate_keys() -> KeyVersion:
    """Make a new key version and make it the one new orders use.

    Old versions stay live, so their codes keep verifying. A version digit can only be
    reused once the version that had it has been retired.
    """
    master = load_master_key()
    last = KeyVersion.objects.select_for_update().order_by("-version").first()
    version = (last.version + 1) if last else 1
    clash = KeyVersion.objects.filter(retired_at__isnull=True).exclude(version=version)
    clash = [kv for kv in clash if kv.digit == version % 10]
    if clash:
        raise KeyRingExhausted(
            f"key version {version} would share its leading digit with live version "
            f"{clash[0].version}; retire that version first"
        )
    KeyVersion.objects.filter(is_active=True).update(is_active=False)
    kv = KeyVersion.objects.create(
        version=version,
        wrapped_secret=wrap_secret(master, version, new_secret()),
        master_fingerprint=master_fingerprint(master),
        is_active=True,
    )
    transaction.on_commit(keys.forget_cached_keys)
    log.info("key version %s created and active", version)
    return kv


@transaction.atomic
def do_retire_key(version: int) -> KeyVersion:
    """Stop a version's codes from verifying (after a key is known to be compromised)."""
    kv = KeyVersion.objects.select_for_update().get(pk=version)
    kv.retired_at = timezone.now()
    kv.is_active = False
    kv.save(update_fields=["retired_at", "is_active"])
    transaction.on_commit(keys.forget_cached_keys)
    return kv


def ensure_key_ring() -> KeyVersion:
    active = KeyVersion.objects.filter(is_active=True).first()
    return active or do_rotate_keys()


@transaction.atomic
def do_create_label_order(
    actor: Actor, product: Product, lot: Lot, quantity: int, layout: str
) -> LabelOrder:
    """Allocate a serial range and record the order; one row whatever the quantity.

    The active key version row is locked while its counter moves, so orders made at the
    same moment on any number of workers get disjoint ranges.
    """
    if not actor.can_manage(product.organisation_id):
        raise ValidationError(_("You can order labels only for your own products."))
    if lot.product_id != product.pk:
        raise ValidationError(_("The lot does not belong to this product."))
    if layout not in LabelOrder.Layout.values:
        raise ValidationError(_("Choose the open or the scratch-off layout."))
    if not 1 <= quantity <= settings.TRUSTLABEL_MAX_ORDER_QUANTITY:
        raise ValidationError(
            _("The quantity must be between 1 and %(max)s.")
            % {"max": settings.TRUSTLABEL_MAX_ORDER_QUANTITY}
        )
    kv = KeyVersion.objects.select_for_update().filter(is_active=True).first()
    if kv is None:
        raise ImproperlyConfiguredKeyRing()
    if kv.next_serial + quantity > MAX_SERIALS_PER_VERSION:
        raise ValidationError(
            _("The current key version has no room for this order; the operator must rotate keys.")
        )
    start = kv.next_serial
    KeyVersion.objects.filter(pk=kv.pk).update(next_serial=F("next_serial") + quantity)
    return LabelOrder.objects.create(
        organisation_id=product.organisation_id,
        product=product,
        lot=lot,
        quantity=quantity,
        layout=layout,
        key_version=kv,
        serial_start=start,
        created_by=actor.user,
    )


class ImproperlyConfiguredKeyRing(ValidationError):
    def __init__(self):
        super().__init__(_("No key version exists yet; the operator must run rotate_keys."))


def do_request_export(actor: Actor, order: LabelOrder, fmt: str) -> Export:
    """Queue the making of a print file. Only the enterprise's admin may have one."""
    from .tasks import make_export  # tasks import actions for the work itself

    if not (actor.is_admin and actor.can_manage(order.organisation_id)):
        raise ValidationError(_("Only an administrator of the enterprise may export codes."))
    if fmt == Export.Format.PDF and order.quantity > settings.TRUSTLABEL_PDF_MAX_LABELS:
        raise ValidationError(
            _("A PDF label sheet holds at most %(max)s labels; export this order as CSV.")
            % {"max": settings.TRUSTLABEL_PDF_MAX_LABELS}
        )
    if fmt not in Export.Format.values:
        raise ValidationError(_("Choose CSV or PDF."))
    purge_expired_exports()
    export = Export.objects.create(
        order=order,
        format=fmt,
        requested_by=actor.user,
        expires_at=timezone.now() + dt.timedelta(hours=settings.TRUSTLABEL_EXPORT_TTL_HOURS),
    )
    transaction.on_commit(lambda: make_export.enqueue(export.pk))
    return export


def purge_expired_exports(now=None) -> int:
    """Delete the files of exports past their time. Returns how many were deleted."""
    from .exports import delete_export_file

    now = now or timezone.now()
    expired = Export.objects.filter(
        expires_at__lt=now,
        status__in=[
            Export.Status.READY,
            Export.Status.FAILED,
            Export.Status.QUEUED,
            Export.Status.RUNNING,
        ],
    )
    count = 0
    for export in expired:
        delete_export_file(export)
        Export.objects.filter(pk=export.pk).update(status=Export.Status.EXPIRED)
        count += 1
    return count
