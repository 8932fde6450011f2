"""Portal pages of sales regions: the association edits a distributor's, the
distributor reads its own."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import Organisation
from trustlabel.accounts.views import guarded

from . import actions, divisions
from .forms import DivisionPicker, RegionCodeForm
from .models import SalesRegion
from .places import place_name


def regions_page(view):
    """For the association and distributors; the view narrows it down further."""
    return guarded(
        view,
        lambda actor: (
            actor.is_association or actor.organisation.kind == Organisation.Kind.DISTRIBUTOR
        ),
    )


def visible_distributors(actor: Actor):
    distributors = Organisation.objects.filter(kind=Organisation.Kind.DISTRIBUTOR)
    return distributors if actor.is_association else distributors.filter(pk=actor.organisation.pk)


def entry_of(region: SalesRegion) -> divisions.Entry:
    """A sales region as a division entry, from its row: a code that a newer list has
    retired still shows with the name it had."""
    d = region.division
    return divisions.Entry(d.code, d.parent_id, d.level, d.name, d.name_en)


def region_entries(organisation: Organisation) -> list[divisions.Entry]:
    rows = SalesRegion.objects.filter(organisation=organisation).select_related("division")
    return [entry_of(region) for region in rows.order_by("division_id")]


def _named(entries, language: str) -> list[dict]:
    return [{"code": e.code, "name": place_name(e.code, language)} for e in entries]


@regions_page
def distributors(request):
    """The association's list of distributors and their regions; a distributor goes
    straight to its own."""
    if not request.actor.is_association:
        return redirect("regions:organisation", pk=request.actor.organisation.pk)
    regions = SalesRegion.objects.select_related("division").order_by("division_id")
    rows = visible_distributors(request.actor).prefetch_related(
        Prefetch("sales_regions", queryset=regions)
    )
    language = get_language()
    listed = [
        (org, _named([entry_of(region) for region in org.sales_regions.all()], language))
        for org in rows
    ]
    return render(request, "regions/distributors.html", {"distributors": listed})


@regions_page
def organisation_regions(request, pk: int):
    organisation = get_object_or_404(visible_distributors(request.actor), pk=pk)
    language = get_language()
    can_edit = request.actor.is_association
    picker = DivisionPicker(request.GET, language) if can_edit else None
    return render(
        request,
        "regions/organisation.html",
        {
            "organisation": organisation,
            "regions": _named(region_entries(organisation), language),
            "can_edit": can_edit,
            "picker": picker,
            "chosen_name": place_name(picker.chosen.code, language)
            if picker and picker.chosen
            else None,
            "data_as_of": divisions.provenance()["data_as_of"],
        },
    )


def _posted_change(request, pk: int):
    """The distributor and the code of an add or remove; the association only."""
    organisation = get_object_or_404(visible_distributors(request.actor), pk=pk)
    if not request.actor.is_association:
        raise PermissionDenied
    form = RegionCodeForm(request.POST)
    return organisation, form.cleaned_data["code"] if form.is_valid() else None


@require_POST
@regions_page
def add_region(request, pk: int):
    organisation, code = _posted_change(request, pk)
    try:
        division = actions.do_add_sales_region(organisation, code or "")
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        name = place_name(division.code, get_language())
        messages.success(request, _("%(place)s is a sales region now.") % {"place": name})
    return redirect("regions:organisation", pk=organisation.pk)


@require_POST
@regions_page
def remove_region(request, pk: int):
    organisation, code = _posted_change(request, pk)
    if code:
        actions.do_remove_sales_region(organisation, code)
        name = place_name(code, get_language())
        messages.success(request, _("%(place)s is no longer a sales region.") % {"place": name})
    return redirect("regions:organisation", pk=organisation.pk)
