"""Issuing and revoking certificates, one at a time or a programme's all at once.

A certificate's Chinese PDF is made and stored before its ledger entry, so the entry
holds the PDF's SHA-256 and anyone with the file can check it. A batch issues the
certificates of every approved application of a programme that has none yet, each in
its own transaction: a failure keeps those already issued, and the next batch of the
programme carries on with the rest.
"""

import collections
import datetime as dt
import hashlib
import logging
from concurrent.futures import Future
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor
from trustlabel.ledger import records as ledger

from ..certificate_pdf import (
    issuing_association,
    render_certificate,
    render_elsewhere,
    renderers,
)
from ..models import Application, Certificate, CertificateBatch, Programme

log = logging.getLogger(__name__)

Status = Application.Status
Batch = CertificateBatch.Status


def certificate_number(programme: Programme, sequence: int) -> str:
    return f"{programme.code.upper()}-{sequence:05d}"


def _expired(programme: Programme) -> ValidationError:
    return ValidationError(
        _("The certificates of %(programme)s were valid only until %(date)s.")
        % {"programme": programme.name, "date": programme.valid_until.isoformat()}
    )


@dataclass(frozen=True)
class Draft:
    """A certificate's PDF rendered ahead of its transaction (by a batch, in a worker
    process), for the number and dates it expects to get."""

    number: str
    issued_at: dt.datetime
    valid_from: dt.date
    valid_until: dt.date
    pdf: Future

    def fits(self, certificate: Certificate) -> bool:
        return (self.number, self.valid_from, self.valid_until) == (
            certificate.number,
            certificate.valid_from,
            certificate.valid_until,
        )


@transaction.atomic
def do_issue_certificate(application: Application, draft: Draft | None = None) -> Certificate:
    """The certificate of an approved application, valid from today to the end of the
    programme's validity; it replaces the certificate of the version it revises.

    Pass the application with its enterprise's member record and its covered products
    loaded (`for_certificates`) to spare the PDF a query or two. A `draft` rendered for
    the number and dates the certificate gets is used as it is; otherwise (another
    certificate took the number meanwhile, say) the PDF is rendered here."""
    programme = Programme.objects.select_for_update().get(pk=application.programme_id)
    # The application's row as it is now, locked: a revision approved meanwhile would
    # have replaced it, and a batch running alongside may have issued its certificate.
    status, superseded_at, certificate_id = (
        Application.objects.select_for_update(of=("self",))
        .filter(pk=application.pk)
        .values_list("status", "superseded_at", "certificate__id")
        .get()
    )
    if status != Status.APPROVED or superseded_at is not None:
        raise ValidationError(_("Only an approved application in force earns a certificate."))
    if certificate_id is not None:
        raise ValidationError(_("This application already has its certificate."))
    today = timezone.localdate()
    if today > programme.valid_until:
        raise _expired(programme)
    sequence = Certificate.objects.filter(programme=programme).count() + 1
    certificate = Certificate(
        number=certificate_number(programme, sequence),
        application=application,
        organisation=application.organisation,
        programme=programme,
        valid_from=today,
        valid_until=programme.valid_until,
    )
    if draft is not None and draft.fits(certificate):
        certificate.issued_at = draft.issued_at
        pdf = draft.pdf.result()
    else:
        pdf = render_certificate(certificate)
    certificate.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    certificate.pdf.save(f"{certificate.number}.pdf", ContentFile(pdf), save=False)
    try:
        certificate.save(force_insert=True)
    except Exception:
        certificate.pdf.delete(save=False)
        raise
    if application.revises_id is not None:
        replaced = Certificate.objects.filter(
            application_id=application.revises_id, superseded_by__isnull=True
        ).first()
        if replaced is not None:
            replaced.superseded_by = certificate
            replaced.save(update_fields=["superseded_by"])
    ledger.certificate_issued(certificate)
    return certificate


@transaction.atomic
def do_revoke_certificate(actor: Actor, certificate: Certificate, reason: str) -> Certificate:
    """Withdraw a certificate, for a reason the public check page shows."""
    if not actor.is_association or actor.user is None:
        raise PermissionDenied
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked_at is not None:
        raise ValidationError(_("This certificate is already revoked."))
    if not reason.strip():
        raise ValidationError(_("Give the reason for the revocation; it is published."))
    certificate.revoked_at = timezone.now()
    certificate.revocation_reason = reason.strip()
    certificate.revoked_by = actor.user
    certificate.save(update_fields=["revoked_at", "revocation_reason", "revoked_by"])
    ledger.certificate_revoked(certificate)
    return certificate


# --- batches ------------------------------------------------------------------------------


def awaiting_certificate(programme: Programme):
    """The programme's applications in force that have no certificate yet."""
    return Application.objects.filter(
        programme=programme,
        status=Status.APPROVED,
        superseded_at__isnull=True,
        certificate__isnull=True,
    )


def for_certificates(applications):
    """Applications with what their certificate's PDF and ledger record read."""
    return applications.select_related("programme", "organisation__member").prefetch_related(
        "covered_products__product"
    )


@transaction.atomic
def do_request_certificate_batch(actor: Actor, programme: Programme) -> CertificateBatch:
    """Queue the issuing of every certificate the programme still owes; the association
    only, one batch of a programme at a time."""
    if not actor.is_association:
        raise PermissionDenied
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    _give_up_stalled(programme)
    if CertificateBatch.objects.filter(
        programme=programme, status__in=[Batch.QUEUED, Batch.RUNNING]
    ).exists():
        raise ValidationError(
            _("The certificates of %(programme)s are already being issued.")
            % {"programme": programme.name}
        )
    if timezone.localdate() > programme.valid_until:
        raise _expired(programme)
    total = awaiting_certificate(programme).count()
    if not total:
        raise ValidationError(
            _("Every approved application to %(programme)s already has its certificate.")
            % {"programme": programme.name}
        )
    batch = CertificateBatch.objects.create(
        programme=programme, total=total, requested_by=actor.user
    )
    transaction.on_commit(lambda: _queue_batch(batch))
    return batch


# A batch that has not moved for this long lost its worker (stopped, or never started).
STALLED_AFTER = dt.timedelta(minutes=10)


def _give_up_stalled(programme: Programme) -> None:
    """Mark a programme's stalled batch failed, so that a new one may take over; the
    certificates it issued stand. Its task, should it still run, goes on issuing (each
    certificate is checked again under its application's lock, so none is issued twice)
    and leaves the batch failed."""
    CertificateBatch.objects.filter(
        programme=programme,
        status__in=[Batch.QUEUED, Batch.RUNNING],
        updated_at__lt=timezone.now() - STALLED_AFTER,
    ).update(
        status=Batch.FAILED,
        finished_at=timezone.now(),
        error=_(
            "This batch stopped without finishing (its worker stopped or never started). "
            "The certificates issued before it stand."
        ),
    )


def _queue_batch(batch: CertificateBatch) -> None:
    from ..tasks import issue_certificate_batch

    issue_certificate_batch.enqueue(batch.pk)


CHUNK = 200  # applications read at a time
AHEAD = 16  # certificates being rendered ahead of the one being written


def do_run_certificate_batch(batch_id: int) -> None:
    """Issue the certificates of a queued batch; run by the `issue_certificate_batch`
    task. Each certificate is committed with the batch's count of those done, so the
    progress page is exact and a failure leaves a consistent count. A large batch has
    its PDFs rendered by worker processes a few certificates ahead, for the numbers
    they will get."""
    now = timezone.now()
    claimed = CertificateBatch.objects.filter(pk=batch_id, status=Batch.QUEUED).update(
        status=Batch.RUNNING, started_at=now, updated_at=now
    )
    if not claimed:  # run already, or gone
        log.info("certificate batch %s is not waiting; skipped", batch_id)
        return
    batch = CertificateBatch.objects.select_related("programme").get(pk=batch_id)
    programme = batch.programme
    ids = list(awaiting_certificate(programme).order_by("pk").values_list("pk", flat=True))
    # What is owed now: approvals (or revisions) since the request change the number.
    CertificateBatch.objects.filter(pk=batch_id).update(total=len(ids))
    progress = CertificateBatch.objects.filter(pk=batch_id)
    application = None  # the one being issued, for the message if it fails
    try:
        with renderers(len(ids)) as pool:
            for application, draft in _drafted(ids, programme, pool):
                with transaction.atomic():
                    do_issue_certificate(application, draft)
                    progress.update(done=F("done") + 1, updated_at=timezone.now())
                application = None
    except Exception as e:
        _fail(batch_id, application, e)
        return
    CertificateBatch.objects.filter(pk=batch_id, status=Batch.RUNNING).update(
        status=Batch.DONE, finished_at=timezone.now()
    )
    log.info("certificate batch %s done (%s certificates)", batch_id, len(ids))


def _drafted(ids: list[int], programme: Programme, pool):
    """The applications in order, each with the draft of its certificate (None without a
    pool), drafts submitted AHEAD of the one yielded. The numbers are those the
    certificates get if no other certificate of the programme is issued meanwhile."""

    def applications():
        for start in range(0, len(ids), CHUNK):
            chunk = Application.objects.filter(pk__in=ids[start : start + CHUNK])
            yield from for_certificates(chunk).order_by("pk")

    if pool is None:
        for application in applications():
            yield application, None
        return
    association = issuing_association()
    sequence = Certificate.objects.filter(programme=programme).count()
    today = timezone.localdate()
    pending = collections.deque()
    for application in applications():
        sequence += 1
        certificate = Certificate(
            number=certificate_number(programme, sequence),
            application=application,
            organisation=application.organisation,
            programme=application.programme,
            valid_from=today,
            valid_until=application.programme.valid_until,
        )
        future = render_elsewhere(pool, certificate, association)
        draft = Draft(
            certificate.number,
            certificate.issued_at,
            certificate.valid_from,
            certificate.valid_until,
            future,
        )
        pending.append((application, draft))
        if len(pending) > AHEAD:
            yield pending.popleft()
    yield from pending


def _fail(batch_id: int, application: Application | None, error: Exception) -> None:
    if isinstance(error, ValidationError):
        reason = " ".join(error.messages)
    else:
        # The details are for the operator's log; the association sees a plain message.
        log.exception(
            "certificate batch %s failed at application %s",
            batch_id,
            application.pk if application else None,
        )
        reason = _("An unexpected error stopped it; the platform operator has the details.")
    if application is None:
        message = _(
            "The batch stopped. %(reason)s The certificates issued before it stand: start "
            "the batch again to issue the rest."
        ) % {"reason": reason}
    else:
        message = _(
            "The certificate of %(enterprise)s could not be issued. %(reason)s The "
            "certificates issued before it stand: start the batch again to issue the rest."
        ) % {"enterprise": application.organisation.name, "reason": reason}
    CertificateBatch.objects.filter(pk=batch_id).update(
        status=Batch.FAILED, error=message, finished_at=timezone.now()
    )
