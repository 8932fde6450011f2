"""Portal pages of accounts (API keys), and the gate every enterprise portal page passes.

`portal_page` turns the signed-in user into an `Actor` and lets only enterprise and
association people through: the others get a 403 page, anonymous visitors the sign-in
page. A view that refuses a signed-in user raises PermissionDenied and gets the same page.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trustlabel.verify.clients import client_ip
from trustlabel.verify.ratelimit import Limit, check_limits

from . import actions
from .access import Actor
from .forms import ApiKeyForm, EnterpriseFilterForm
from .models import ApiKey

# Password guessing: attempts per client address, and per account from anywhere.
SIGN_IN_PER_CLIENT = Limit("signin-ip", 10, 60)
SIGN_IN_PER_ACCOUNT = Limit("signin-user", 20, 3600)


class SignInView(auth_views.LoginView):
    """Django's sign-in page, with attempts limited before the password is checked."""

    template_name = "accounts/login.html"

    def post(self, request, *args, **kwargs):
        now = timezone.now()
        account = request.POST.get("username", "")[:150].strip().lower()
        wait = check_limits(
            [(SIGN_IN_PER_CLIENT, client_ip(request)), (SIGN_IN_PER_ACCOUNT, account)], now
        )
        if wait is None:
            return super().post(request, *args, **kwargs)
        refusal = _("Too many sign-in attempts. Please try again in %(minutes)s minutes.") % {
            "minutes": max(1, (wait + 59) // 60)
        }
        response = self.render_to_response(self.get_context_data(refusal=refusal), status=429)
        response["Retry-After"] = str(wait)
        return response


def forbidden(request):
    return render(request, "portal/forbidden.html", status=403)


def guarded(view, allow):
    """A portal page for the actors `allow(actor)` accepts: others get the 403 page,
    anonymous visitors the sign-in page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        actor = Actor.of_user(request.user)
        if actor is None or not allow(actor):
            return forbidden(request)
        request.actor = actor
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return forbidden(request)

    return wrapper


def portal_page(view):
    """For pages of the enterprise portal: enterprises and (read-only) the association."""
    return guarded(view, lambda actor: actor.is_enterprise or actor.is_association)


def association_page(view):
    """For the association's own pages."""
    return guarded(view, lambda actor: actor.is_association)


def goods_page(view):
    """For pages of those who handle goods: enterprises and distributors."""
    return guarded(view, lambda actor: actor.is_enterprise or actor.is_distributor)


def member_page(view):
    """For pages every signed-in organisation may open; each sees what concerns it."""
    return guarded(view, lambda actor: True)


def inspector_page(view):
    """For the inspectors' pages (and the association's)."""
    return guarded(view, lambda actor: actor.is_inspector or actor.is_association)


def admin_page(view):
    """For pages that manage an organisation itself: its administrators only."""
    return guarded(view, lambda actor: actor.is_admin)


def filter_by_enterprise(request, queryset, field: str = "organisation"):
    """The association picks which enterprise to look at; others see only their own,
    which `scoped()` has already seen to. Returns the rows and the form to render."""
    form = EnterpriseFilterForm(request.GET) if request.actor.is_association else None
    if form is not None and form.is_valid() and form.cleaned_data["enterprise"]:
        queryset = queryset.filter(**{field: form.cleaned_data["enterprise"]})
    return queryset, form


def list_page(request, template: str, rows, field: str = "organisation"):
    """A list page of the portal: filtered by enterprise for the association, paginated."""
    rows, enterprise_form = filter_by_enterprise(request, rows, field)
    page, query = page_of(request, rows)
    return render(
        request, template, {"page": page, "query": query, "enterprise_form": enterprise_form}
    )


def posted(request) -> tuple:
    """What a form is bound to: the submitted data and files, or nothing on a first visit."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def page_of(request, queryset, per_page: int = 50):
    """One page of rows, and the query string that keeps the filters on page links."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@admin_page
def api_keys(request):
    """The organisation's API keys; a new key's secret is shown on this one response."""
    actor = request.actor
    secret = None
    form = ApiKeyForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        _, secret = actions.do_create_api_key(
            actor.organisation,
            form.cleaned_data["name"],
            form.cleaned_data["role"],
            created_by=request.user,
        )
        form = ApiKeyForm()
    keys = ApiKey.objects.filter(organisation=actor.organisation).select_related("created_by")
    response = render(
        request, "accounts/api_keys.html", {"form": form, "keys": keys, "secret": secret}
    )
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@admin_page
def revoke_api_key(request, pk: int):
    key = get_object_or_404(ApiKey, pk=pk, organisation=request.actor.organisation)
    actions.do_revoke_api_key(key)
    messages.success(request, _("The key %(name)s no longer works.") % {"name": key.name})
    return redirect("accounts:api-keys")
