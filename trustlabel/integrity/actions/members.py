"""Writes to the member register."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import Organisation

from .. import directory
from ..models import Member

# What the association may change in a member's record, in the order forms show it.
EDITABLE = (
    "uscc",
    "region",
    "industry",
    "contact_name",
    "contact_phone",
    "contact_email",
    "status",
    "joined_on",
    "expires_on",
)


def ensure_member(organisation: Organisation) -> Member:
    """Every enterprise of the core loop is a member: active since it was registered."""
    member, _ = Member.objects.get_or_create(
        organisation=organisation,
        defaults={
            "status": Member.Status.ACTIVE,
            "joined_on": timezone.localdate(organisation.created_at),
        },
    )
    return member


def do_update_member(actor: Actor, member: Member, **fields) -> Member:
    """The association keeps the register; ValidationError says what is wrong."""
    if not actor.is_association:
        raise PermissionDenied
    unknown = fields.keys() - EDITABLE
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(member, name, value)
    with transaction.atomic():
        member.full_clean()
        member.save()
        directory.refresh_enterprise(member.organisation_id)  # region, industry, USCC
    return member
