"""The association's review of applications: the queue, and each review step."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trustlabel.accounts.views import association_page, page_of

from ..actions import applications as flow
from ..forms.applications import ApplicationFilterForm, ReviewForm
from ..models import Application
from .applications import take_step

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
    page, query = page_of(request, filters.narrow(rows))
    return render(
        request,
        "integrity/applications/reviews.html",
        {"page": page, "query": query, "filters": filters},
    )


@require_POST
@association_page
def review(request, pk: int):
    form = ReviewForm(request.POST, prefix="review")

    def do(actor, application, comment):
        return STEPS[form.cleaned_data["action"]][0](actor, application, comment)

    def done(application):
        message = STEPS[form.cleaned_data["action"]][1]
        return str(message) if message else _approval_message(application)

    return take_step(request, pk, form, do, done)


def _approval_message(application: Application) -> str:
    if application.status == Application.Status.SECOND_REVIEW:
        return _("Your approval is recorded: a second reviewer must now approve.")
    return _("The application is approved.")
