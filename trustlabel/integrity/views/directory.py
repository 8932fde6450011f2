"""The public directory: anyone may search the enterprises taking part in label
programmes and their products, and read each one's commitments, declarations,
certificates and history. Searches are rate limited per client address."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from trustlabel.regions import places
from trustlabel.verify.clients import client_ip
from trustlabel.verify.ratelimit import Limit, check_limits

from .. import directory
from ..commitments import commitment_bytes
from ..forms.directory import DirectoryForm
from ..models import Application

# Enough for a person paging through results; not for copying the directory wholesale.
SEARCHES_PER_CLIENT = Limit("directory-ip", 60, 60)


def _place(code: str | None) -> str:
    return places.place_name(code, get_language()) if code else ""


def _with_certificates(applications, today) -> None:
    """Each application's programme name in the page's language, and its certificate
    (`cert`) with its state today."""
    language = get_language()
    for application in applications:
        application.programme_name = application.programme.display_name(language)
        application.cert = directory.certificate_of(application)
        if application.cert is not None:
            application.cert.with_state(today)


def _too_many(request, wait: int, tab: str, form):
    message = _("Too many searches from your address. Please try again in %(seconds)s seconds.")
    response = render(
        request,
        f"integrity/directory/{tab}.html",
        {"form": form, "refusal": message % {"seconds": wait}, "tab": tab},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _search(request, tab: str, rows_of, annotate):
    """A search page, `tab` "enterprises" or "products"."""
    template = f"integrity/directory/{tab}.html"
    products = tab == "products"
    form = DirectoryForm(request.GET or None, products=products)
    wait = check_limits([(SEARCHES_PER_CLIENT, client_ip(request))], timezone.now())
    if wait is not None:
        return _too_many(request, wait, tab, DirectoryForm(products=products))
    criteria = directory.Criteria()
    if form.is_bound:
        if not form.is_valid():
            return render(request, template, {"form": form, "tab": tab})
        criteria = form.criteria()
    found = rows_of(criteria)
    page = directory.page_of(found, request.GET.get("page"))
    annotate(page.object_list)
    today = timezone.localdate()
    for row in page.object_list:
        _with_certificates(row.listings, today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "total": found.total,
            "query": query.urlencode(),
            "tab": tab,
        },
    )


def _place_members(members) -> None:
    directory.add_listings(members)
    for member in members:
        member.place = _place(member.region_id)


def _place_products(products) -> None:
    directory.add_coverings(products)
    for product in products:
        member = getattr(product.organisation, "member", None)
        product.place = _place(member.region_id if member else None)


@require_GET
def enterprises(request):
    return _search(request, "enterprises", directory.enterprises, _place_members)


@require_GET
def products(request):
    return _search(request, "products", directory.products, _place_products)


@require_GET
def enterprise(request, pk: int):
    member, programmes = directory.enterprise(pk)
    member.place = _place(member.region_id)
    today = timezone.localdate()
    for entry in programmes:
        _with_certificates(entry["versions"], today)
    return render(
        request,
        "integrity/directory/enterprise.html",
        {"member": member, "organisation": member.organisation, "programmes": programmes},
    )


@require_GET
def product(request, pk: int):
    found, coverings = directory.product(pk)
    member = getattr(found.organisation, "member", None)
    found.place = _place(member.region_id if member else None)
    _with_certificates([covered.application for covered in coverings], timezone.localdate())
    return render(
        request,
        "integrity/directory/product.html",
        {"product": found, "member": member, "coverings": coverings},
    )


@require_GET
def commitment(request, pk: int):
    """An approved commitment as the canonical document whose SHA-256 the ledger holds:
    anyone can hash these bytes and compare. The files it names appear by their hashes."""
    application = get_object_or_404(
        Application.objects.select_related("programme"),
        pk=pk,
        status=Application.Status.APPROVED,
    )
    response = HttpResponse(
        commitment_bytes(application),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="commitment-{application.pk}.json"'
    return response
