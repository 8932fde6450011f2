"""Consumer pages: the QR code's landing page and the page to type a code.

They work without JavaScript and stay small: one HTML document with its CSS inline."""

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trustlabel.catalog.models import InspectionReport

from .clients import client_ip
from .core import CheckContext, InvalidInput, RateLimited, verify
from .models import Channel, VerdictKind
from .wording import EXPLANATIONS, HEADLINES, TOO_MANY_ATTEMPTS

_BOT_MARKERS = ("bot", "spider", "crawler", "preview", "facebookexternalhit", "slurp")


def home(request):
    return redirect("verify:form")


def _is_bot(request) -> bool:
    agent = request.META.get("HTTP_USER_AGENT", "").lower()
    return any(marker in agent for marker in _BOT_MARKERS)


def _render_check(request, raw, context: CheckContext, form_value: str = "", **extra):
    """Run one check and render its verdict, or the reason it could not run."""
    try:
        verdict = verify(raw, context)
    except InvalidInput as e:
        return render(
            request,
            "verify/form.html",
            {"error": e.message, "value": form_value, **extra},
            status=400,
        )
    except RateLimited as e:
        response = render(
            request,
            "verify/form.html",
            {"error": TOO_MANY_ATTEMPTS, "value": form_value, **extra},
            status=429,
        )
        response["Retry-After"] = str(e.retry_after)
        return response
    return render(
        request,
        "verify/result.html",
        {
            "verdict": verdict,
            "headline": HEADLINES[verdict.kind],
            "explanation": EXPLANATIONS[verdict.kind],
            "tone": _TONES[verdict.kind],
            **extra,
        },
    )


_TONES = {
    VerdictKind.GENUINE: "good",
    VerdictKind.GENUINE_CHECKED_BEFORE: "good",
    VerdictKind.EXPIRED: "warn",
    VerdictKind.SUSPECTED_COPY: "bad",
    VerdictKind.UNKNOWN: "bad",
    VerdictKind.MISTYPED: "note",
    VerdictKind.PIN_REQUIRED: "note",
    VerdictKind.NOT_ACTIVATED: "bad",
    VerdictKind.RECALLED: "bad",
}


def _place(request) -> dict:
    def number(name):
        try:
            return float(request.POST.get(name, ""))
        except ValueError:
            return None

    return {"lat": number("lat"), "lon": number("lon")}


@require_http_methods(["GET", "POST"])
def verify_form(request):
    if request.method == "GET":
        return render(request, "verify/form.html", {"value": ""})
    code = request.POST.get("code", "")
    context = CheckContext(channel=Channel.WEB, client_ip=client_ip(request), **_place(request))
    return _render_check(request, code, context, form_value=code[:300])


@require_http_methods(["GET", "HEAD", "POST"])
def digital_link(request, gtin: str, serial: str):
    """The QR code's address. Opening it is a check; for a scratch-off label it shows the
    product and asks for the code under the coating."""
    # The request reached our own route, so the link is ours whatever Host it came with.
    link = f"{settings.TRUSTLABEL_BASE_URL}/01/{gtin}/21/{serial}"
    if request.method == "POST":
        hidden = request.POST.get("pin", "")
        context = CheckContext(
            channel=Channel.QR,
            client_ip=client_ip(request),
            public_serial=serial,
            **_place(request),
        )
        return _render_check(request, hidden, context, form_value=hidden[:300], link_serial=serial)
    if request.method == "HEAD" or _is_bot(request):
        note = _("Open this page in a browser to check the label.")
        return render(request, "verify/form.html", {"value": "", "note": note})
    context = CheckContext(channel=Channel.QR, client_ip=client_ip(request))
    return _render_check(request, link, context, link_serial=serial)


@require_http_methods(["GET", "HEAD"])
def inspection_report(request, pk: int):
    """An inspection report's PDF: public, as the verification page shows it to anyone."""
    report = get_object_or_404(InspectionReport, pk=pk)
    response = FileResponse(report.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{report.report_number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
