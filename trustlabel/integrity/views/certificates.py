"""Certificates: the portal's list, detail with revocation, PDF downloads and batches;
and the public check page a certificate's QR code opens, with the public PDF. The public
pages are rate limited per client address: each costs a few queries, an English PDF a
rendering."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from trustlabel.accounts.access import scoped
from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import (
    association_page,
    filter_by_enterprise,
    page_of,
    portal_page,
    posted,
)
from trustlabel.ledger.records import entry_of
from trustlabel.verify.clients import client_ip
from trustlabel.verify.ratelimit import Limit, check_limits

from ..actions import certificates as actions
from ..certificate_pdf import LANGUAGES, render_certificate
from ..forms.certificates import BatchForm, CertificateFilterForm, RevokeForm
from ..models import Application, Certificate, CertificateBatch, Programme

State = Certificate.State

# Plenty for people checking the certificates in front of them; not for harvesting them.
CHECKS_PER_CLIENT = Limit("certificate-ip", 30, 60)


def _certificates():
    return Certificate.objects.select_related("organisation", "programme", "superseded_by")


def _with_everything(rows):
    """What the detail and check pages and the PDF show of a certificate."""
    return rows.select_related(
        "organisation__member", "programme", "application", "superseded_by"
    ).prefetch_related("application__covered_products__product")


def facts(certificate: Certificate, today: dt.date | None = None) -> dict:
    """What a check of the certificate says: its state today and everything the page and
    the API show."""
    language = get_language()
    state = certificate.state(today)
    holder = certificate.organisation
    member = getattr(holder, "member", None)
    application = certificate.application
    return {
        "certificate": certificate,
        "state": state,
        "state_label": State(state).label,
        "holder": holder,
        "holder_name": holder.name_en if language == "en" and holder.name_en else holder.name,
        "uscc": member.uscc if member is not None else "",
        "programme_name": certificate.programme.display_name(language),
        "products": [covered.product for covered in application.covered_products.all()],
        "version": application.version,
        "commitment_sha256": application.content_sha256,
        "issued_entry": entry_of(certificate, "certificate"),
        "revoked_entry": (
            entry_of(certificate, "certificate_revoked") if certificate.revoked_at else None
        ),
    }


def find(number: str) -> Certificate | None:
    """The certificate with this number (as printed; case and spaces forgiven)."""
    number = number.strip().upper()
    if not number or len(number) > Certificate._meta.get_field("number").max_length:
        return None
    return _with_everything(Certificate.objects.filter(number=number)).first()


def pdf_response(certificate: Certificate, lang: str | None) -> HttpResponse:
    """The stored Chinese PDF as issued, or the English one made now."""
    language = LANGUAGES.get(lang or "zh")
    if language is None:
        return HttpResponseBadRequest(_("Ask for the certificate in zh or en."))
    if language == "en":
        response = HttpResponse(render_certificate(certificate, "en"), "application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{certificate.number}-en.pdf"'
        return response
    if not certificate.pdf:
        raise Http404
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=f"{certificate.number}.pdf",
        content_type="application/pdf",
    )


# --- the portal ---------------------------------------------------------------------------


@portal_page
def certificates(request):
    """The enterprise's certificates; the association's view of all of them."""
    filters = CertificateFilterForm(request.GET)
    rows = filters.narrow(scoped(request.actor, _certificates()))
    today = timezone.localdate()
    if filters.is_valid() and filters.cleaned_data["state"]:
        rows = rows.filter(Certificate.in_state(filters.cleaned_data["state"], today))
    rows, enterprise_form = filter_by_enterprise(request, rows)
    page, query = page_of(request, rows)
    for certificate in page:
        certificate.with_state(today)
    return render(
        request,
        "integrity/certificates/list.html",
        {"page": page, "query": query, "filters": filters, "enterprise_form": enterprise_form},
    )


@portal_page
def certificate(request, pk: int):
    """A certificate, its ledger entries and PDFs; the association may revoke it."""
    actor = request.actor
    certificate = get_object_or_404(scoped(actor, _with_everything(Certificate.objects)), pk=pk)
    form = RevokeForm(*posted(request))
    if request.method == "POST":
        if not actor.is_association:
            raise PermissionDenied
        if form.is_valid():
            try:
                actions.do_revoke_certificate(actor, certificate, form.cleaned_data["reason"])
            except ValidationError as e:
                add_action_errors(form, e)
            else:
                messages.success(
                    request,
                    _("Certificate %(number)s is revoked.") % {"number": certificate.number},
                )
                return redirect("programmes:certificate", pk=certificate.pk)
    return render(
        request,
        "integrity/certificates/detail.html",
        {
            **facts(certificate),
            "form": form,
            "may_revoke": actor.is_association and certificate.revoked_at is None,
        },
    )


@require_safe
@portal_page
def certificate_pdf(request, pk: int):
    certificate = get_object_or_404(
        scoped(request.actor, _with_everything(Certificate.objects)), pk=pk
    )
    return pdf_response(certificate, request.GET.get("lang"))


@association_page
def batches(request):
    """Issue a programme's owed certificates in one batch, and the batches so far."""
    form = BatchForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            batch = actions.do_request_certificate_batch(
                request.actor, form.cleaned_data["programme"]
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            return redirect("programmes:certificate-batch", pk=batch.pk)
    owed = Q(
        applications__status=Application.Status.APPROVED,
        applications__superseded_at__isnull=True,
        applications__certificate__isnull=True,
    )
    programmes = (
        Programme.objects.annotate(owed=Count("applications", filter=owed))
        .filter(owed__gt=0)
        .order_by("-year", "code")
    )
    page, query = page_of(
        request, CertificateBatch.objects.select_related("programme", "requested_by")
    )
    return render(
        request,
        "integrity/certificates/batches.html",
        {"form": form, "programmes": programmes, "page": page, "query": query},
    )


@association_page
def batch(request, pk: int):
    batch = get_object_or_404(
        CertificateBatch.objects.select_related("programme", "requested_by"), pk=pk
    )
    running = batch.status in (CertificateBatch.Status.QUEUED, CertificateBatch.Status.RUNNING)
    return render(
        request,
        "integrity/certificates/batch.html",
        {"batch": batch, "refresh": 2 if running else None},
    )


# --- public -------------------------------------------------------------------------------


def _refused(request) -> HttpResponse | None:
    """A 429 page when this address has checked too many certificates just now."""
    wait = check_limits([(CHECKS_PER_CLIENT, client_ip(request))], timezone.now())
    if wait is None:
        return None
    response = render(
        request, "integrity/certificates/too_many.html", {"seconds": wait}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


@require_safe
def check(request, number: str):
    """The page a certificate's QR code opens: genuine or not, and valid or not."""
    if (refused := _refused(request)) is not None:
        return refused
    certificate = find(number)
    if certificate is None:
        return render(
            request, "integrity/certificates/not_found.html", {"number": number}, status=404
        )
    return render(request, "integrity/certificates/check.html", facts(certificate))


@require_safe
def public_pdf(request, number: str):
    if (refused := _refused(request)) is not None:
        return refused
    certificate = find(number)
    if certificate is None:
        raise Http404
    return pdf_response(certificate, request.GET.get("lang"))
