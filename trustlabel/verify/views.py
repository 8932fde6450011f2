"""Consumer pages: the QR code's landing page and the page to type a code.

They work without JavaScript and stay small: one HTML document with its CSS inline."""

import logging
import math

from django.conf import settings
from django.core import signing
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trustlabel.catalog.models import InspectionReport
from trustlabel.codes.models import LabelOrder
from trustlabel.integrity.promises import promises_for, report_token
from trustlabel.ledger import records as ledger
from trustlabel.trace import diversion
from trustlabel.trace.journey import journey, public_steps
from trustlabel.trace.labels import Label

from .clients import client_ip
from .core import CheckContext, InvalidInput, RateLimited, verify
from .models import Channel, VerdictKind
from .ratelimit import Limit, check_limits
from .wording import EXPLANATIONS, HEADLINES, TOO_MANY_ATTEMPTS

logger = logging.getLogger(__name__)

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
    shown, steps, place_token, ledger_entry = None, [], None, None
    if verdict.order is not None:
        ledger_entry = ledger.entry_of(verdict.order, "label_order")
    if verdict.order is not None and verdict.serial is not None:
        shown = public_steps(verdict.order.organisation_id)
        label = Label(verdict.order, verdict.order.key_version_id, verdict.serial)
        steps = journey(label, verdict.reports, get_language())
        if context.lat is None:
            place_token = signing.dumps(
                {"order": verdict.order.pk, "serial": verdict.serial}, salt=_PLACE_SALT
            )
    promises, promise_token = [], None
    if verdict.order is not None and verdict.kind in _PROMISE_VERDICTS:
        promises = promises_for(verdict.order.product_id, timezone.localdate())
        if promises:
            promise_token = report_token(verdict.order.product_id, verdict.order.pk, verdict.serial)
    return render(
        request,
        "verify/result.html",
        {
            "verdict": verdict,
            "headline": HEADLINES[verdict.kind],
            "explanation": EXPLANATIONS[verdict.kind],
            "tone": _TONES[verdict.kind],
            "shown": shown,
            "journey": steps,
            "place_token": place_token,
            "ledger_entry": ledger_entry,
            "promises": promises,
            "promise_token": promise_token,
            **extra,
        },
    )


# The verdicts whose page shows what the maker promised under the association's
# programmes: those of a genuine label, and of an expired product (the label is genuine,
# the promise was made about it, and a product sold past its date may be exactly what the
# consumer wants to report). Never for a label that may be a copy or is unknown, where the
# mark would lend a fake the association's trust; nor for a label not yet activated, a
# recalled product (the recall's instructions must stand alone) or an unfinished check.
_PROMISE_VERDICTS = {VerdictKind.GENUINE, VerdictKind.GENUINE_CHECKED_BEFORE, VerdictKind.EXPIRED}

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
    VerdictKind.OUTSIDE_REGION: "warn",
}


def _number(request, name: str) -> float | None:
    try:
        value = float(request.POST.get(name, ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _place(request) -> dict:
    """The browser's location, when the consumer chose to share it with the check."""
    accuracy = _number(request, "accuracy")
    return {
        "lat": _number(request, "lat"),
        "lon": _number(request, "lon"),
        "accuracy_m": accuracy if accuracy is not None and accuracy >= 0 else None,
    }


# A consumer who checked a code may share afterwards where they are (the QR code's page
# checks at once, before anyone could be asked): a signed note of the check, good for a
# quarter of an hour, and a limit per client.
_PLACE_SALT = "trustlabel.verify.place"
_PLACE_MAX_AGE = 15 * 60
PLACES_PER_CLIENT = Limit("place-ip", 30, 3600)


@require_POST
def share_place(request):
    """Where the consumer is, for the check they just made: compared with the item's
    sales region (an alert for the enterprise when outside). Nothing is shown back but
    thanks; the place is kept only as a division, in an alert."""
    now = timezone.now()
    wait = check_limits([(PLACES_PER_CLIENT, client_ip(request))], now)
    if wait is not None:
        response = JsonResponse({"detail": str(TOO_MANY_ATTEMPTS)}, status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        check = signing.loads(
            request.POST.get("token", ""), salt=_PLACE_SALT, max_age=_PLACE_MAX_AGE
        )
    except signing.BadSignature:
        return JsonResponse(
            {"detail": _("This page is too old to share a place: check the code again.")},
            status=400,
        )
    place = _place(request)
    if not (
        place["lat"] is not None
        and place["lon"] is not None
        and -90 <= place["lat"] <= 90
        and -180 <= place["lon"] <= 180
    ):
        return JsonResponse({"detail": _("The location is not valid.")}, status=400)
    order = LabelOrder.objects.select_related("product", "lot").filter(pk=check["order"]).first()
    if order is not None:
        where = diversion.Where(place["lat"], place["lon"], place["accuracy_m"])
        try:
            diversion.observe(order, check["serial"], where, now)
        except Exception:
            # The place lookup failed (a boundary file, the database): say so, plainly.
            logger.exception("sharing a place failed for order %s", order.pk)
            return JsonResponse(
                {
                    "detail": _(
                        "Your location could not be recorded just now; thank you all the same."
                    )
                },
                status=503,
            )
    return JsonResponse({"detail": _("Thank you: this helps to catch diverted goods.")})


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
