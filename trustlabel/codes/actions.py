"""Every write to the key ring, label orders and exports."""

import datetime as dt
import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor
from trustlabel.catalog.models import Lot, Product
from trustlabel.integrity.labels import check_programme_order
from trustlabel.ledger import records as ledger

from . import keys
from .codec import MAX_SERIALS_PER_VERSION
from .keyring import (
    KeyRingError,
    load_master_key,
    master_fingerprint,
    new_secret,
    unwrap_secret,
    wrap_secret,
)
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


@transaction.atomic
def do_rewrap_key_ring(old_master: bytes, new_master: bytes) -> int:
    """Wrap every key version under a new master key; returns how many were re-wrapped.

    The versions' secrets do not change, so every code keeps verifying. Versions already
    under the new master key are left alone, so an interrupted run can be repeated.
    """
    old_print, new_print = master_fingerprint(old_master), master_fingerprint(new_master)
    if old_print == new_print:
        raise KeyRingError("the old and the new master key are the same key")
    count = 0
    for kv in KeyVersion.objects.select_for_update().order_by("version"):
        if kv.master_fingerprint == new_print:
            continue
        if kv.master_fingerprint != old_print:
            raise KeyRingError(
                f"key version {kv.version} was wrapped by neither master key "
                f"(fingerprint {kv.master_fingerprint})"
            )
        secret = unwrap_secret(old_master, kv.version, bytes(kv.wrapped_secret))
        kv.wrapped_secret = wrap_secret(new_master, kv.version, secret)
        kv.master_fingerprint = new_print
        kv.save(update_fields=["wrapped_secret", "master_fingerprint"])
        count += 1
    transaction.on_commit(keys.forget_cached_keys)
    log.info("%s key versions re-wrapped under master key %s", count, new_print)
    return count


def ensure_key_ring() -> KeyVersion:
    active = KeyVersion.objects.filter(is_active=True).first()
    return active or do_rotate_keys()


@transaction.atomic
def do_create_label_order(
    actor: Actor,
    product: Product,
    lot: Lot,
    quantity: int,
    layout: str,
    activation: str = LabelOrder.Activation.COMMISSIONING,
    programme=None,
) -> LabelOrder:
    """Allocate a serial range and record the order; one row whatever the quantity.

    Its codes answer "not activated" until commissioned (trace), unless `activation` is
    "issue": then from the start. Under a label `programme` the labels carry its mark:
    the product must be approved in it and the order fit the enterprise's quota.

    The active key version row is locked while its counter moves, so orders made at the
    same moment on any number of workers get disjoint ranges. A programme's row is locked
    before it (always in that order, so two orders cannot wait on each other).
    """
    if not actor.can_manage(product.organisation_id):
        raise ValidationError(_("You can order labels only for your own products."))
    if lot.product_id != product.pk:
        raise ValidationError(_("The lot does not belong to this product."))
    if layout not in LabelOrder.Layout.values:
        raise ValidationError(_("Choose the open or the scratch-off layout."))
    if activation not in LabelOrder.Activation.values:
        raise ValidationError(_("Choose when the labels become active."))
    if not 1 <= quantity <= settings.TRUSTLABEL_MAX_ORDER_QUANTITY:
        raise ValidationError(
            _("The quantity must be between 1 and %(max)s.")
            % {"max": settings.TRUSTLABEL_MAX_ORDER_QUANTITY}
        )
    if programme is not None:
        programme = check_programme_order(programme, product, quantity)
    kv = KeyVersion.objects.select_for_update().filter(is_active=True).first()
    if kv is None:
        raise ImproperlyConfiguredKeyRing()
    if kv.next_serial + quantity > MAX_SERIALS_PER_VERSION:
        raise ValidationError(
            _("The current key version has no room for this order; the operator must rotate keys.")
        )
    start = kv.next_serial
    KeyVersion.objects.filter(pk=kv.pk).update(next_serial=F("next_serial") + quantity)
    order = LabelOrder.objects.create(
        organisation_id=product.organisation_id,
        product=product,
        lot=lot,
        quantity=quantity,
        layout=layout,
        activation=activation,
        programme=programme,
        key_version=kv,
        serial_start=start,
        created_by=actor.user,
    )
    ledger.label_order_issued(order)
    return order


class ImproperlyConfiguredKeyRing(ValidationError):
    def __init__(self):
        super().__init__(_("No key version exists yet; the operator must run rotate_keys."))


def do_request_export(actor: Actor, order: LabelOrder, fmt: str) -> Export:
    """Queue the making of a print file. Only the enterprise's admin may have one."""
    if not actor.can_export(order.organisation_id):
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
    transaction.on_commit(lambda: _queue_export_tasks(export))
    return export


def _queue_export_tasks(export: Export) -> None:
    """Make the file now, and have the worker delete it when it expires, so that no
    print file outlives its 24 hours even where nobody runs `purge_exports`."""
    from .tasks import expire_export, make_export

    make_export.enqueue(export.pk)
    if expire_export.get_backend().supports_defer:
        expire_export.using(run_after=export.expires_at).enqueue(export.pk)


_LIVE = [Export.Status.READY, Export.Status.FAILED, Export.Status.QUEUED, Export.Status.RUNNING]


def purge_expired_exports(now=None) -> int:
    """Delete the files of exports past their time. Returns how many were deleted."""
    now = now or timezone.now()
    expired = Export.objects.filter(expires_at__lt=now, status__in=_LIVE)
    return sum(do_expire_export(export.pk, now) for export in expired)


def do_expire_export(export_id: int, now=None) -> bool:
    """Delete an export's file if its time is up; True if it was deleted now."""
    from .exports import delete_export_file

    now = now or timezone.now()
    export = Export.objects.filter(pk=export_id, expires_at__lte=now, status__in=_LIVE).first()
    if export is None:
        return False
    delete_export_file(export)
    Export.objects.filter(pk=export.pk).update(status=Export.Status.EXPIRED)
    return True


def do_make_export(export_id: int) -> None:
    """Make the print file of a queued export; run by the `make_export` task.

    The file is written beside its final name and renamed into place when complete, so a
    file under the final name is always whole. Progress is saved after every chunk (CSV)
    or page (PDF) for the portal to show.
    """
    from . import exports

    claimed = Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING
    )
    if not claimed:  # already made, expired or gone: nothing to do
        log.info("export %s is not waiting; skipped", export_id)
        return
    export = Export.objects.select_related(
        "order__product", "order__key_version", "order__lot"
    ).get(pk=export_id)
    export.file_name = f"export-{export.pk}.{exports.file_extension(export.format)}"
    Export.objects.filter(pk=export.pk).update(file_name=export.file_name)
    root = Path(settings.EXPORT_ROOT)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    final, partial = exports.export_path(export), exports.partial_path(export)
    write = exports.write_pdf if export.format == Export.Format.PDF else exports.write_csv_zip

    def progress(done: int) -> None:
        Export.objects.filter(pk=export.pk).update(done=done)

    try:
        # Readable by the service's user only: the file holds secret codes.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            write(export.order, out, progress=progress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except Exception as e:
        # The details are for the operator's log; the enterprise sees a plain message.
        log.exception("export %s failed", export.pk)
        partial.unlink(missing_ok=True)
        if isinstance(e, exports.ExportTooLarge):
            message = str(e.message)
        else:
            message = _(
                "The print file could not be made. Please request it again; if this "
                "happens again, contact the platform operator."
            )
        Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING).update(
            status=Export.Status.FAILED, error=message, finished_at=timezone.now()
        )
        return
    finished = Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING).update(
        status=Export.Status.READY,
        done=export.order.quantity,
        size=final.stat().st_size,
        finished_at=timezone.now(),
    )
    if not finished:  # expired while it was being made
        final.unlink(missing_ok=True)
        return
    log.info("export %s ready (%s codes)", export.pk, export.order.quantity)


def do_take_download(actor: Actor | None, export: Export):
    """Hand a finished print file to the enterprise's admin, once.

    Returns (an open binary file, the file name to download it as). The file is unlinked
    as soon as it is open (POSIX keeps an open file readable until it is closed), so the
    codes exist on the server only until they are downloaded.
    """
    from .exports import download_name, export_path

    order = export.order
    if actor is None or not actor.can_export(order.organisation_id):
        raise PermissionDenied(
            _("Only an administrator of the enterprise may download its print files.")
        )
    now = timezone.now()
    # One conditional update decides, on any database, which of two clicks gets the file.
    taken = Export.objects.filter(
        pk=export.pk, status=Export.Status.READY, expires_at__gt=now
    ).update(status=Export.Status.DOWNLOADED, downloaded_at=now)
    if not taken:
        export.refresh_from_db()
        if export.status == Export.Status.READY:  # ready, but past its time
            purge_expired_exports(now)
            raise ValidationError(
                _("This print file has expired and been deleted; please export the codes again.")
            )
        if export.status == Export.Status.DOWNLOADED:
            raise ValidationError(
                _("This print file was already downloaded and has been deleted from the server.")
            )
        raise ValidationError(_("This print file is not ready."))
    path = export_path(export)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        log.error("export %s was ready but its file %s is missing", export.pk, path)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, error=_("The print file is missing.")
        )
        raise ValidationError(
            _("The print file is missing; please export the codes again.")
        ) from None
    path.unlink()
    log.info("export %s downloaded by %s and deleted", export.pk, actor.label())
    return handle, download_name(order, export.format)
