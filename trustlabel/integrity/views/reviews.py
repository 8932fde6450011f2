"""The association's review of applications: the queue, and each review step."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import page_of

from ..actions import applications as flow
from ..forms.applications import ApplicationFilterForm, ReviewForm
from ..models import Application
from .applications import render_detail
from .programmes import association_page

UNDER_REVIEW = (
    Application.Status.SUBMITTED,
    Application.Status.IN_REVIEW,
    Application.Status.SECOND_REVIEW,
)

STEPS = {
    "start": (flow.do_start_review, gettext_lazy("The review is started.")),
    "return": (flow.do_return, gettext_lazy("The application is returned to the enterprise.")),
    "approve": (flow.do_approve, None),
    "reject": (flow.do_reject, gettext_lazy("The application is rejected.")),
}


@association_page
def reviews(request):
    """What waits for the association, oldest first."""
    rows = (
        Application.objects.filter(status__in=UNDER_REVIEW)
        .select_related("programme", "organisation", "first_approval_by")
        .order_by("submitted_at", "pk")
    )
    filters = ApplicationFilterForm(request.GET)
    if filters.is_valid():
        if filters.cleaned_data["programme"]:
            rows = rows.filter(programme=filters.cleaned_data["programme"])
        if filters.cleaned_data["status"]:
            rows = rows.filter(status=filters.cleaned_data["status"])
    page, query = page_of(request, rows)
    return render(
        request,
        "integrity/applications/reviews.html",
        {"page": page, "query": query, "filters": filters},
    )


@require_POST
@association_page
def review(request, pk: int):
    application = get_object_or_404(Application, pk=pk)
    form = ReviewForm(request.POST, prefix="review")
    if form.is_valid():
        take, done = STEPS[form.cleaned_data["action"]]
        try:
            application = take(request.actor, application, form.cleaned_data["comment"])
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, str(done) if done else _approval_message(application))
            return redirect("programmes:application", pk=pk)
    application = get_object_or_404(
        Application.objects.select_related("programme", "organisation", "first_approval_by"),
        pk=pk,
    )
    return render_detail(request, application, review_form=form)


def _approval_message(application: Application) -> str:
    if application.status == Application.Status.SECOND_REVIEW:
        return _("Your approval is recorded: a second reviewer must now approve.")
    return _("The application is approved.")
