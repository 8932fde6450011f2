"""Issuing and revoking certificates."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor
from trustlabel.ledger import records as ledger

from ..models import Application, Certificate, Programme


def certificate_number(programme: Programme, sequence: int) -> str:
    return f"{programme.code.upper()}-{sequence:05d}"


@transaction.atomic
def do_issue_certificate(application: Application) -> Certificate:
    """The certificate of an approved application, valid from today to the end of the
    programme's validity; it replaces the certificate of the version it revises."""
    if application.status != Application.Status.APPROVED:
        raise ValidationError(_("Only an approved application earns a certificate."))
    programme = Programme.objects.select_for_update().get(pk=application.programme_id)
    today = timezone.localdate()
    if today > programme.valid_until:
        raise ValidationError(
            _("The certificates of %(programme)s were valid only until %(date)s.")
            % {"programme": programme.name, "date": programme.valid_until.isoformat()}
        )
    sequence = Certificate.objects.filter(programme=programme).count() + 1
    certificate = Certificate.objects.create(
        number=certificate_number(programme, sequence),
        application=application,
        organisation_id=application.organisation_id,
        programme=programme,
        valid_from=today,
        valid_until=programme.valid_until,
    )
    replaced = Certificate.objects.filter(application_id=application.revises_id).first()
    if replaced is not None and replaced.superseded_by_id is None:
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
