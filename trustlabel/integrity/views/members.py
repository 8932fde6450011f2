"""Portal pages of the member register: the association keeps it, an enterprise reads its
own record."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language

from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import association_page, page_of, portal_page, posted
from trustlabel.regions import places

from .. import actions, uscc
from ..forms.members import MemberFilterForm, MemberForm
from ..models import Member


def _members():
    return Member.objects.select_related("organisation", "region")


def search(rows, q: str = "", province=None, industry: str = "", status: str = ""):
    """The members matching a name or credit code fragment and the filters."""
    if q:
        q = q.strip()
        rows = rows.filter(
            Q(organisation__name__icontains=q)
            | Q(organisation__name_en__icontains=q)
            | Q(uscc__icontains=uscc.compact(q))
        )
    if province is not None:
        # Follow `parent`: some county-level units hang directly under their province.
        rows = rows.filter(
            Q(region=province) | Q(region__parent=province) | Q(region__parent__parent=province)
        )
    if industry:
        rows = rows.filter(industry=industry)
    if status:
        rows = rows.filter(status=status)
    return rows


def _with_place(member):
    language = get_language()
    member.place = places.place_name(member.region_id, language) if member.region_id else ""
    return member


@association_page
def members(request):
    filters = MemberFilterForm(request.GET)
    rows = _members()
    if filters.is_valid():
        rows = search(rows, **filters.cleaned_data)
    page, query = page_of(request, rows)
    for member in page:
        _with_place(member)
    return render(
        request, "integrity/members.html", {"page": page, "query": query, "filters": filters}
    )


@portal_page
def own_member(request):
    member = get_object_or_404(Member, organisation=request.actor.organisation)
    return redirect("integrity:member", pk=member.pk)


@portal_page
def member(request, pk: int):
    rows = _members()
    if not request.actor.is_association:
        rows = rows.filter(organisation=request.actor.organisation)
    member = _with_place(get_object_or_404(rows, pk=pk))
    return render(
        request,
        "integrity/member.html",
        {"member": member, "may_edit": request.actor.is_association},
    )


@association_page
def member_edit(request, pk: int):
    member = get_object_or_404(_members(), pk=pk)
    form = MemberForm(*posted(request), instance=member)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            actions.do_update_member(request.actor, member, **fields)
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            return redirect("integrity:member", pk=member.pk)
    return render(request, "integrity/member_edit.html", {"member": member, "form": form})
