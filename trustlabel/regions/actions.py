"""Every write to divisions and sales regions."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from trustlabel.accounts.models import Organisation

from . import divisions
from .models import Division, SalesRegion


@transaction.atomic
def do_load_divisions(path=divisions.DIVISIONS_CSV) -> dict:
    """Insert or update every division of the CSV (parents first). Codes the CSV no
    longer has are kept, since sales regions may still use them: the result lists them
    (`retired`) and the regions that do (`retired_in_use`), to be moved by hand."""
    entries = sorted(divisions.read_csv(path), key=lambda entry: entry.level)
    before = set(Division.objects.values_list("code", flat=True))
    Division.objects.bulk_create(
        [
            Division(code=e.code, parent_id=e.parent, level=e.level, name=e.name, name_en=e.name_en)
            for e in entries
        ],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["parent", "level", "name", "name_en"],
        batch_size=500,
    )
    listed = {entry.code for entry in entries}
    retired = sorted(before - listed)
    in_use = SalesRegion.objects.filter(division_id__in=retired).select_related("organisation")
    return {
        "added": len(listed - before),
        "updated": len(listed & before),
        "retired": retired,
        "retired_in_use": [(r.organisation.name, r.division_id) for r in in_use],
    }


def _divisions_of(codes) -> list[Division]:
    codes = sorted({code.strip() for code in codes})
    found = list(Division.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {division.code for division in found})
    if unknown:
        message = ngettext(
            "Unknown division code: %(codes)s.",
            "Unknown division codes: %(codes)s.",
            len(unknown),
        ) % {"codes": ", ".join(unknown)}
        raise ValidationError({"codes": [message]}, code="unknown_division")
    return found


def _require_distributor(organisation: Organisation) -> None:
    if organisation.kind != Organisation.Kind.DISTRIBUTOR:
        raise ValidationError(_("Only distributors have sales regions."), code="not_distributor")


@transaction.atomic
def do_set_sales_regions(organisation: Organisation, codes) -> list[str]:
    """Make the distributor's sales regions exactly these division codes."""
    _require_distributor(organisation)
    wanted = _divisions_of(codes)
    SalesRegion.objects.filter(organisation=organisation).exclude(division__in=wanted).delete()
    SalesRegion.objects.bulk_create(
        [SalesRegion(organisation=organisation, division=division) for division in wanted],
        ignore_conflicts=True,
    )
    return [division.code for division in wanted]


@transaction.atomic
def do_add_sales_region(organisation: Organisation, code: str) -> Division:
    _require_distributor(organisation)
    [division] = _divisions_of([code])
    SalesRegion.objects.get_or_create(organisation=organisation, division=division)
    return division


@transaction.atomic
def do_remove_sales_region(organisation: Organisation, code: str) -> None:
    SalesRegion.objects.filter(organisation=organisation, division_id=code).delete()
