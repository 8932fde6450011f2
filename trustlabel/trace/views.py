"""Portal pages of the trace app."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trustlabel.accounts.views import (
    filter_by_enterprise,
    goods_page,
    inspector_page,
    member_page,
    page_of,
    portal_page,
)
from trustlabel.codes.views import visible_orders
from trustlabel.ledger import records as ledger
from trustlabel.regions import places
from trustlabel.verify.clients import client_ip
from trustlabel.verify.core import CheckContext, InvalidInput, RateLimited, verify
from trustlabel.verify.models import Channel
from trustlabel.verify.wording import EXPLANATIONS, HEADLINES, TOO_MANY_ATTEMPTS

from . import actions
from .diversion import visible_alerts
from .forms import (
    AlertDecisionForm,
    AlertFilterForm,
    CommissionForm,
    InspectForm,
    PublicTraceForm,
    RecallForm,
    ScanForm,
)
from .journey import public_steps
from .labels import label_of
from .logistics import containers, item_history, label_history, last_destination
from .models import Event
from .progress import recall_progress, recalls_held_by, visible_recalls
from .scanned import read_scanned


@require_POST
@portal_page
def commission(request, pk: int):
    """Commission labels of an order (its page holds the form)."""
    order = get_object_or_404(visible_orders(request.actor), pk=pk)
    if not request.actor.can_manage(order.organisation_id):
        raise PermissionDenied
    form = CommissionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the first and the last label to commission."))
        return redirect("codes:order", pk=order.pk)
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    try:
        actions.do_commission_order(request.actor, order, first, last)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            _("Labels %(first)d to %(last)d are active.") % {"first": first, "last": last},
        )
    return redirect("codes:order", pk=order.pk)


# --- Logistics: the phone scanning page --------------------------------------------------


@goods_page
def scan(request):
    """Receive, ship, store, pick or pack by scanning labels with the phone's camera (or a
    scanner, or typing). Works without JavaScript: the camera only fills the list."""
    actor = request.actor
    initial = {"step": request.GET["step"]} if request.GET.get("step") else {}
    form = ScanForm(actor, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["step"] == ScanForm.PACK:
                event = actions.do_pack(actor, data["parent"], data["codes"])
            else:
                event = actions.do_move(actor, data["step"], data["codes"], data["destination"])
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(
                request,
                ngettext(
                    "Recorded: %(step)s, %(count)d label.",
                    "Recorded: %(step)s, %(count)d labels.",
                    len(data["codes"]),
                )
                % {
                    "step": dict(form.fields["step"].choices)[data["step"]],
                    "count": len(data["codes"]),
                },
            )
            return redirect(f"{reverse('trace:scan')}?step={data['step']}&done={event.pk}")
    recent = list(
        Event.objects.filter(captured_by=actor.organisation)
        .exclude(biz_step="commissioning")
        .order_by("-record_time", "-pk")[:10]
    )
    names = {actions.Step.BIZ_STEPS[step]: label for step, label in actions.Step.CHOICES}
    names["packing"] = _("Packed")
    for event in recent:
        event.step_label = names.get(event.biz_step, event.biz_step or event.event_type)
    return render(request, "trace/scan.html", {"form": form, "recent": recent})


# --- Diversion alerts ----------------------------------------------------------------


@portal_page
def alerts(request):
    rows = visible_alerts(request.actor)
    filters = AlertFilterForm(request.GET)
    if filters.is_valid() and filters.cleaned_data["state"]:
        rows = rows.filter(state=filters.cleaned_data["state"])
    rows, enterprise_form = filter_by_enterprise(request, rows)
    page, query = page_of(request, rows)
    language = get_language()
    for alert in page:
        alert.observed_name = places.place_name(alert.observed_region, language)
    return render(
        request,
        "trace/alerts.html",
        {"page": page, "query": query, "filters": filters, "enterprise_form": enterprise_form},
    )


@portal_page
def alert(request, pk: int):
    alert = get_object_or_404(visible_alerts(request.actor), pk=pk)
    may_decide = request.actor.can_manage(alert.organisation_id)
    form = AlertDecisionForm(
        request.POST or None, initial={"state": alert.state, "note": alert.note}
    )
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        if form.is_valid():
            try:
                actions.do_decide_alert(
                    request.actor, alert, form.cleaned_data["state"], form.cleaned_data["note"]
                )
            except ValidationError as e:
                form.add_error(None, e)
            else:
                messages.success(
                    request, _("The alert is %(state)s.") % {"state": alert.get_state_display()}
                )
                return redirect("trace:alert", pk=alert.pk)
    language = get_language()
    return render(
        request,
        "trace/alert.html",
        {
            "alert": alert,
            "form": form,
            "may_decide": may_decide,
            "observed_name": places.place_name(alert.observed_region, language),
            "expected_names": [places.place_name(c, language) for c in alert.expected_regions],
            "label_number": alert.serial - alert.order.serial_start + 1,
        },
    )


# --- Recalls -------------------------------------------------------------------------


@member_page
def recalls(request):
    actor = request.actor
    held = (
        {h.recall.pk: h.units for h in recalls_held_by(actor.organisation)}
        if actor.is_distributor
        else {}
    )
    rows, enterprise_form = filter_by_enterprise(request, visible_recalls(actor))
    page, query = page_of(request, rows)
    for recall in page:
        recall.held_units = held.get(recall.pk)
    return render(
        request,
        "trace/recalls.html",
        {
            "page": page,
            "query": query,
            "enterprise_form": enterprise_form,
            "held": actor.is_distributor,
        },
    )


@portal_page
def recall_new(request):
    actor = request.actor
    if not actor.is_enterprise:
        raise PermissionDenied
    form = RecallForm(actor, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recall = actions.do_open_recall(
                actor,
                list(data["lots"]),
                data["reason"],
                data["hazard"],
                data["instructions"],
                data["contact"],
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(
                request, _("The recall is open: every check of these lots now says so.")
            )
            return redirect("trace:recall", pk=recall.pk)
    return render(request, "trace/recall_form.html", {"form": form})


@member_page
def recall(request, pk: int):
    recall = get_object_or_404(visible_recalls(request.actor), pk=pk)
    may_close = request.actor.can_manage(recall.organisation_id)
    if request.method == "POST":
        if not may_close:
            raise PermissionDenied
        actions.do_close_recall(request.actor, recall)
        messages.success(request, _("The recall is closed."))
        return redirect("trace:recall", pk=recall.pk)
    # A distributor sees what it holds, not where else the goods went.
    progress = None if request.actor.is_distributor else recall_progress(recall, get_language())
    held = None
    if request.actor.is_distributor:
        held = next(
            (
                h.units
                for h in recalls_held_by(request.actor.organisation)
                if h.recall.pk == recall.pk
            ),
            0,
        )
    return render(
        request,
        "trace/recall.html",
        {
            "recall": recall,
            "progress": progress,
            "held": held,
            "may_close": may_close,
            "ledger_entry": ledger.entry_of(recall, "recall"),
        },
    )


# --- What consumers see --------------------------------------------------------------


@portal_page
def public_trace(request):
    actor = request.actor
    if not actor.is_enterprise:
        raise PermissionDenied
    form = PublicTraceForm(request.POST or None, instance=public_steps(actor.organisation.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.do_set_public_trace(actor, data["production"], data["inspection"], data["shipping"])
        messages.success(request, _("Saved: consumers see these steps from now on."))
        return redirect("trace:public")
    return render(request, "trace/public_trace.html", {"form": form})


# --- Inspectors ------------------------------------------------------------------------


@inspector_page
def inspect(request):
    """An inspector checks a code where the product is (a stated division, or the
    device's location): besides the verdict, whether it is outside its sales region."""
    form = InspectForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        context = CheckContext(
            channel=Channel.WEB,
            client_ip=client_ip(request),
            lat=data["lat"],
            lon=data["lon"],
            accuracy_m=data["accuracy"],
            region=data["region"] or None,
            inspector=True,
        )
        try:
            result = verify(data["code"], context)
        except InvalidInput as e:
            form.add_error("code", e.message)
        except RateLimited:
            form.add_error(None, TOO_MANY_ATTEMPTS)
    evidence = None
    if result is not None and result.diversion is not None:
        language = get_language()
        evidence = {
            "observed": places.place_name(result.diversion.observed_region, language),
            "expected": [places.place_name(c, language) for c in result.diversion.expected_regions],
        }
    return render(
        request,
        "trace/inspect.html",
        {
            "form": form,
            "verdict": result,
            "headline": HEADLINES.get(result.kind) if result else None,
            "explanation": EXPLANATIONS.get(result.kind) if result else None,
            "evidence": evidence,
        },
    )


# --- Where is this item --------------------------------------------------------------


@member_page
def item(request):
    """Where an item is and what happened to it, through its case and pallet. Enterprises
    look up their own products; the association and inspectors any."""
    actor = request.actor
    if not (actor.is_enterprise or actor.is_association or actor.is_inspector):
        raise PermissionDenied
    text = request.GET.get("label", "").strip()
    found = error = None
    if text:
        try:
            epc = read_scanned(text)
        except ValidationError as e:
            error = e.messages[0]
        else:
            label = label_of(epc)
            theirs = label is not None and label.order.organisation_id == actor.organisation.pk
            if actor.is_enterprise and not theirs:
                error = _("No such item among your products.")
            else:
                outer = containers(epc)  # worked out once for the three answers
                move = last_destination(epc, outer=outer)
                found = {
                    "epc": epc,
                    "label": label,
                    "containers": outer,
                    "destination": move.destination if move else None,
                    "history": (
                        label_history(label, outer) if label else item_history(epc, (), outer)
                    ),
                }
    return render(request, "trace/item.html", {"text": text, "found": found, "error": error})
