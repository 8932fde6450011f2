"""Announcements of the association: drafts, their attachments, and publication.

A draft belongs to the association and changes freely. Publishing freezes it: the list of
the programme's approved enterprises is copied into the announcement as it stands at that
moment, and a ledger record hashes the texts, the list and every attachment, so that a
published notice cannot be quietly changed. A correction is a new announcement.
"""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor
from trustlabel.ledger.actions import canonical_sha256 as _sha256
from trustlabel.ledger.actions import do_append
from trustlabel.ledger.models import Entry
from trustlabel.ledger.records import subject_of
from trustlabel.regions import places
from trustlabel.storage import file_sha256

from ..models import Announcement, Application, Attachment, Certificate, Programme
from ..uploads import check_upload, extension_of

ANNOUNCEMENT_FIELDS = ("title", "title_en", "body", "body_en", "programme", "lists_approved")
LEDGER_KIND = "announcement"


def _require_association(actor: Actor) -> None:
    if not actor.is_association:
        raise PermissionDenied


def _locked_draft(announcement: Announcement) -> Announcement:
    """The announcement's row, locked, provided it is still a draft."""
    announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if announcement.is_published:
        raise ValidationError(
            _(
                "This announcement is published and can no longer be changed: to correct "
                "it, publish a new announcement."
            )
        )
    return announcement


def _require_programme_for_list(announcement: Announcement) -> None:
    if announcement.lists_approved and announcement.programme_id is None:
        raise ValidationError(
            {"programme": _("Choose the programme whose approved enterprises are to be listed.")}
        )


@transaction.atomic
def do_save_announcement(
    actor: Actor, announcement: Announcement | None = None, **fields
) -> Announcement:
    """Write a new draft, or change one; published announcements stay as they are."""
    _require_association(actor)
    unknown = fields.keys() - set(ANNOUNCEMENT_FIELDS)
    if unknown:
        raise TypeError(f"not announcement fields: {', '.join(sorted(unknown))}")
    if announcement is None:
        announcement = Announcement(created_by=actor.user)
    else:
        announcement = _locked_draft(announcement)
    for name, value in fields.items():
        setattr(announcement, name, value.strip() if isinstance(value, str) else value)
    announcement.updated_at = timezone.now()
    announcement.full_clean(exclude=["created_by"])  # None when an API key writes
    _require_programme_for_list(announcement)
    announcement.save()
    return announcement


@transaction.atomic
def do_delete_announcement(actor: Actor, announcement: Announcement) -> None:
    """Throw a draft away; what was published stays published."""
    _require_association(actor)
    announcement = _locked_draft(announcement)
    files = [attachment.file for attachment in announcement.attachments.all()]
    announcement.delete()
    transaction.on_commit(lambda: _delete_files(files))


def _delete_files(files) -> None:
    for file in files:
        file.delete(save=False)


@transaction.atomic
def do_add_attachment(actor: Actor, announcement: Announcement, title: str, file) -> Attachment:
    """Attach a file to a draft, with its size and SHA-256 for the public to check."""
    _require_association(actor)
    announcement = _locked_draft(announcement)
    attachment = Attachment(announcement=announcement, title=title.strip(), file=file)
    extension = extension_of(file.name)
    # Stored under a random name: a draft's file must not be found by guessing its name.
    attachment.file.name = ".".join(filter(None, [secrets.token_hex(16), extension]))
    attachment.full_clean(exclude=["sha256"])  # the allowed types: the model's validator
    check_upload(file)
    attachment.sha256 = file_sha256(file)
    attachment.size = file.size
    attachment.save()
    announcement.updated_at = timezone.now()
    announcement.save(update_fields=["updated_at"])
    return attachment


@transaction.atomic
def do_remove_attachment(actor: Actor, attachment: Attachment) -> None:
    _require_association(actor)
    announcement = _locked_draft(attachment.announcement)
    file = attachment.file
    attachment.delete()
    announcement.updated_at = timezone.now()
    announcement.save(update_fields=["updated_at"])
    transaction.on_commit(lambda: _delete_files([file]))


def approved_list(programme: Programme, today=None) -> list[dict]:
    """The programme's enterprises approved now: a current commitment and a valid
    certificate, in certificate number order, with names as they are today."""
    today = today or timezone.localdate()
    certificates = (
        Certificate.objects.filter(
            Certificate.in_state(Certificate.State.VALID, today),
            programme=programme,
            application__status=Application.Status.APPROVED,
            application__superseded_at__isnull=True,
        )
        .select_related("organisation__member")
        .prefetch_related("application__covered_products__product")
        .order_by("number")
    )
    return [_listed(certificate) for certificate in certificates]


def _listed(certificate: Certificate) -> dict:
    organisation = certificate.organisation
    member = getattr(organisation, "member", None)
    region = (member.region_id if member else None) or organisation.region
    return {
        "certificate": certificate.number,
        "enterprise": organisation.name,
        "enterprise_en": organisation.name_en,
        "uscc": member.uscc if member else "",
        "region_code": region or "",
        "region": places.place_name(region, "zh-hans") if region else "",
        "region_en": places.place_name(region, "en") if region else "",
        "products": [
            {"gtin": c.product.gtin, "name": c.product.name, "name_en": c.product.name_en}
            for c in certificate.application.covered_products.all()
        ],
    }


@transaction.atomic
def do_publish(actor: Actor, announcement: Announcement) -> Announcement:
    """Publish a draft; for a programme's list, freeze the approved enterprises as they
    are now (an enterprise approved later appears in the next announcement)."""
    _require_association(actor)
    announcement = _locked_draft(announcement)
    announcement.full_clean(exclude=["created_by"])  # None when an API key writes
    _require_programme_for_list(announcement)
    if announcement.lists_approved:
        announcement.approved = approved_list(announcement.programme)
        if not announcement.approved:
            raise ValidationError(
                _(
                    "No enterprise holds a valid certificate of %(programme)s yet: there is "
                    "no list to publish."
                )
                % {"programme": announcement.programme.display_name(get_language())}
            )
    else:
        announcement.approved = []
    announcement.published_at = announcement.updated_at = timezone.now()
    announcement.save(update_fields=["approved", "published_at", "updated_at"])
    record_publication(announcement)
    return announcement


def record_publication(announcement: Announcement) -> Entry:
    """The ledger record of a publication: the hash of the texts (canonical JSON of
    title, title_en, body, body_en), of the frozen list, and each attachment's SHA-256."""
    texts = {
        "title": announcement.title,
        "title_en": announcement.title_en,
        "body": announcement.body,
        "body_en": announcement.body_en,
    }
    fields = {
        "announcement": announcement.pk,
        "programme": announcement.programme.code if announcement.programme_id else None,
        "published_at": announcement.published_at.isoformat(),
        "texts_sha256": _sha256(texts),
        "approved_count": len(announcement.approved),
        "approved_sha256": _sha256(announcement.approved),
        "attachments": [a.sha256 for a in announcement.attachments.all()],
    }
    return do_append(LEDGER_KIND, subject_of(announcement), fields)
