"""Portal pages of label programmes: enterprises read them and apply, the association
defines them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import association_page, page_of, portal_page, posted

from ..actions import applications as flow
from ..forms.programmes import ProgrammeForm
from ..models import Application, Programme, SupportingDocument


def standing(applications: list[Application]) -> Application | None:
    """Of one enterprise's applications to a programme, the one that says where it
    stands: the open one, else the commitment in force, else the latest."""
    for wanted in (lambda a: a.status in Application.OPEN, lambda a: a.is_current):
        for application in applications:
            if wanted(application):
                return application
    return applications[0] if applications else None


def _own_applications(actor, programmes) -> dict[int, list[Application]]:
    rows = Application.objects.filter(organisation=actor.organisation, programme__in=programmes)
    mine = {}
    for application in rows.order_by("-created_at", "-pk"):
        mine.setdefault(application.programme_id, []).append(application)
    return mine


@portal_page
def programmes(request):
    actor = request.actor
    rows = Programme.objects.annotate(application_count=Count("applications")).order_by(
        *Programme._meta.ordering
    )
    page, query = page_of(request, rows)
    mine = _own_applications(actor, list(page)) if actor.is_enterprise else {}
    for programme in page:
        programme.standing = standing(mine.get(programme.pk, []))
    return render(request, "integrity/programmes/list.html", {"page": page, "query": query})


@portal_page
def programme(request, pk: int):
    actor = request.actor
    programme = get_object_or_404(Programme, pk=pk)
    applications = []
    if actor.is_enterprise:
        applications = _own_applications(actor, [programme]).get(programme.pk, [])
    current = standing(applications)
    may_apply = (
        actor.is_enterprise
        and programme.is_open()
        and not any(a.status in Application.OPEN or a.is_current for a in applications)
    )
    documents = [SupportingDocument.Kind(kind).label for kind in programme.required_documents]
    return render(
        request,
        "integrity/programmes/detail.html",
        {
            "programme": programme,
            "applications": applications,
            "current": current if current is not None and current.is_current else None,
            "may_apply": may_apply,
            "required_documents": documents,
            "application_count": programme.applications.count(),
        },
    )


@association_page
def programme_edit(request, pk: int | None = None):
    programme = get_object_or_404(Programme, pk=pk) if pk is not None else None
    form = ProgrammeForm(*posted(request), instance=programme)
    if request.method == "POST" and form.is_valid():
        try:
            saved = flow.do_save_programme(request.actor, programme, **form.action_fields())
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The programme is saved."))
            return redirect("programmes:programme", pk=saved.pk)
    return render(request, "integrity/programmes/form.html", {"form": form, "programme": programme})
